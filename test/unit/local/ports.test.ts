/** local/ports.ts: the port variables, and which one moves a port that is taken (npm start's EADDRINUSE message). */
import { localPorts, portVariableOf } from '../../../local/ports.js';

it('names the variable that moves each port, defaults and moved ones alike', () => {
  // prepare
  const defaults = localPorts({});
  const moved = localPorts({ LOCAL_RPC_PORT: '18002', LOCAL_LISTENER_PORTS: '18443,18444' });
  // act and assess
  expect(portVariableOf(9000, defaults)).toBe('LOCAL_API_PORT');
  expect(portVariableOf(9100, defaults)).toBe('LOCAL_CONTROL_PORT');
  expect(portVariableOf(8703, defaults)).toBe('LOCAL_FC_PORT');
  expect(portVariableOf(8444, defaults)).toBe('LOCAL_LISTENER_PORTS');
  expect(portVariableOf(18002, moved)).toBe('LOCAL_RPC_PORT');
  expect(portVariableOf(8701, moved)).toBeUndefined();
  expect(portVariableOf(18444, moved)).toBe('LOCAL_LISTENER_PORTS');
});

it('refuses a port that is not a number, naming the variable', () => {
  expect(() => localPorts({ LOCAL_API_PORT: 'nine' })).toThrow('LOCAL_API_PORT must be a port number');
  expect(() => localPorts({ LOCAL_LISTENER_PORTS: '1,x' })).toThrow('LOCAL_LISTENER_PORTS');
});
