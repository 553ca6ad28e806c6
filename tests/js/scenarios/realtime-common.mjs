// Shared helpers for the realtime scenarios: a supabase-js client on Node 20 (which needs the `ws` transport,
// see docs/test-peers.md §Node 20 clients), promise helpers, and the one-JSON-line result convention of NodeScript.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

export const url = process.env.EDGE_URL;
export const anonKey = process.env.EDGE_ANON_KEY;
export const urlB = process.env.EDGE_URL_B ?? url; // cluster tests: the second client's node

/** A client of the server at `at` (EDGE_URL unless a scenario puts a client on another node: EDGE_URL_B). */
export function client(key = anonKey, realtime = {}, at = url) {
  return createClient(at, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket, heartbeatIntervalMs: 1000, ...realtime },
  });
}

/** Subscribes and resolves with the first terminal status (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT, CLOSED). */
export function subscribe(channel, timeoutMs = 15000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'SCENARIO_TIMEOUT' }), timeoutMs);
    channel.subscribe((status, err) => {
      clearTimeout(timer);
      resolve({ status, error: err ? String(err.message ?? err) : null });
    });
  });
}

export async function waitFor(predicate, timeoutMs = 15000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function done(result, ...clients) {
  for (const c of clients) c.removeAllChannels?.();
  console.log(JSON.stringify(result));
  process.exit(0);
}
