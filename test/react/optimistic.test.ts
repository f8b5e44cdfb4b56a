import { describe, expect, it } from 'vitest'
import { rebase } from '../../src/react/optimistic'

// rebase(value, from, to): carry our change from → to over onto value.
describe('rebase (the three-way undo behind optimistic rollback)', () => {
  it('returns `to` when the value still is exactly `from`', () => {
    const from = { a: 1 }
    const to = { a: 0 }
    expect(rebase(from, from, to)).toBe(to)
  })

  it('keeps the reference when nothing of ours is left to carry over', () => {
    const value = { likes: 5, title: 'a' }
    expect(rebase(value, { likes: 2, title: 'a' }, { likes: 1, title: 'a' })).toBe(value)
  })

  it('changes only the fields we changed, where they still show our value', () => {
    expect(
      rebase({ likes: 2, title: 'b', tags: ['x'] }, { likes: 2, title: 'a', tags: ['x'] }, { likes: 1, title: 'a', tags: ['x'] }),
    ).toEqual({ likes: 1, title: 'b', tags: ['x'] })
  })

  it('goes through nested plain objects', () => {
    const from = { post: { likes: 2, title: 'a' }, n: 1 }
    const to = { post: { likes: 1, title: 'a' }, n: 1 }
    const value = { post: { likes: 2, title: 'b' }, n: 2 }
    expect(rebase(value, from, to)).toEqual({ post: { likes: 1, title: 'b' }, n: 2 })
  })

  it('removes a field we added, and restores one we removed', () => {
    expect(rebase({ a: 1, draft: true, b: 2 }, { a: 1, draft: true }, { a: 1 })).toEqual({ a: 1, b: 2 })
    expect(rebase({ b: 2 }, {}, { gone: 'back' })).toEqual({ b: 2, gone: 'back' })
  })

  it('reverts an array only while it is still deep-equal to ours', () => {
    expect(rebase(['a', 'b'], ['a', 'b'], ['a'])).toEqual(['a'])
    const theirs = ['a', 'b', 'z']
    expect(rebase(theirs, ['a', 'b'], ['a'])).toBe(theirs)
  })
})
