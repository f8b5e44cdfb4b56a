export {
  connectInvalidations,
  type ConnectOptions,
  type EventSourceLike,
  type InvalidationConnection,
  type StreamOptions,
  type StreamState,
} from './connect'
export { broadcastInvalidations, type BroadcastOptions } from './broadcast'
export { invalidationMessage, type InvalidationMessage } from './schema'
