import { createFixedResultModule } from './fixed-result.js';

/**
 * `-m socket [--transparent] [--nowildcard] [--restore-skmark]`: whether a local socket matches the packet
 * (xt_socket.c) is runtime state.
 */
export const socketModule = createFixedResultModule('socket', ['transparent', 'nowildcard', 'restore-skmark'], {
  kind: 'unknown',
  reason: 'socket match: whether a local socket owns this packet is runtime state',
});
