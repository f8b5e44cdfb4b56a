import { useState } from 'react'
import { useMutation } from '../../../src/index'
import { modelVersions } from '../types'
import { postJson } from './queries'

/**
 * Switches the recommender's version on the server, which tells every tab.
 * Immediate: every cached answer of another version refetches now. Lazy: they
 * stay until they go stale, and their refetches are stamped with the new one.
 */
export function ModelControls({ current }: { current: string }) {
  // Starts on a version that is not running: "Switch now" then always does something.
  const [version, setVersion] = useState<string>(() => modelVersions.find((name) => name !== current) ?? modelVersions[0])
  const change = useMutation({
    mutationFn: (policy: 'immediate' | 'lazy') => postJson('/api/model', { version, policy }),
  })
  return (
    <section data-testid="model-controls">
      <h2>
        Model <span className="badge" data-testid="model-current">recommender {current}</span>
      </h2>
      <div className="row">
        <label>
          Version{' '}
          <select data-testid="model-select" value={version} onChange={(event) => setVersion(event.target.value)}>
            {modelVersions.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button data-testid="model-switch-immediate" onClick={() => change.mutate('immediate')}>
          Switch now (refetch)
        </button>
        <button data-testid="model-switch-lazy" onClick={() => change.mutate('lazy')}>
          Switch lazily
        </button>
      </div>
      {change.error && <p className="out">{change.error.message}</p>}
      <p className="muted">
        A lazy switch refetches nothing: cached answers say which version produced them until they go stale.
      </p>
    </section>
  )
}
