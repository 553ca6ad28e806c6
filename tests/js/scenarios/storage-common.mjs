// Shared by the storage-js scenarios: the service-role and user-A storage clients, and the check-counting
// convention (each passed check counts; the first failed one prints {"ok":false,...} and exits 1).
// Inputs (environment): MADBASE_URL, MADBASE_SERVICE_KEY, MADBASE_ANON_KEY, MADBASE_USER_A_TOKEN.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

export const env = name => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
export const url = env('MADBASE_URL');
const options = { realtime: { transport: WebSocket }, auth: { persistSession: false, autoRefreshToken: false } };
export const admin = createClient(url, env('MADBASE_SERVICE_KEY'), options).storage;
export const alice = createClient(url, env('MADBASE_ANON_KEY'), { ...options, global: { headers: { Authorization: `Bearer ${env('MADBASE_USER_A_TOKEN')}` } } }).storage;

let passed = 0;
export const checks = () => passed;
export function check(condition, message, detail) {
  if (!condition) {
    console.log(JSON.stringify({ ok: false, failed: message, detail: detail === undefined ? null : JSON.stringify(detail) }));
    process.exit(1);
  }
  passed++;
}
export const ok = (result, message) => { check(!result.error, message, result.error); return result.data; };
