// The few parts of the `smpp` package (farhadi/node-smpp, no types of its own) that
// Switchboard uses: sessions (client and server side), PDUs, the status codes.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  export interface PDU {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
  }

  export interface Session extends EventEmitter {
    socket: Socket;
    send(pdu: PDU, onResponse?: (pdu: PDU) => void, onSent?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    bind_transceiver(options: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    bind_transmitter(options: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    bind_receiver(options: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    submit_sm(options: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    deliver_sm(options: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    enquire_link(options?: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    unbind(options?: Record<string, unknown>, onResponse?: (pdu: PDU) => void): boolean;
    generic_nack(options?: Record<string, unknown>): boolean;
  }

  export interface Server extends EventEmitter {
    listen(port: number, host?: string, callback?: () => void): Server;
    close(callback?: () => void): void;
    address(): { port: number } | null;
    sessions: Session[];
  }

  export function connect(options: Record<string, unknown>, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  export const PDU: { new (command: string, options?: Record<string, unknown>): PDU };
  export const errors: Record<string, number>;
  export const consts: Record<string, Record<string, number>>;
  const smpp: { connect: typeof connect; createServer: typeof createServer; PDU: typeof PDU; errors: typeof errors };
  export default smpp;
}
