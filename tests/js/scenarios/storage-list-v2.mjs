// storage-js listV2 (POST /object/list-v2/B) through the real client against a running MadBase Edge, checked against
// upstream's documented behaviour (docs/protocol/tus-and-storage.md §List V2): flat pagination by cursor, folders with
// with_delimiter, descending and timestamp order, a bad cursor, and RLS (a user sees only their own rows).
// Inputs (environment): MADBASE_URL, MADBASE_SERVICE_KEY, MADBASE_ANON_KEY, MADBASE_USER_A_TOKEN, MADBASE_USER_A_ID.
// Prints one JSON line last: {"ok":true,"checks":N}; exits 1 at the first failed check.
import { randomBytes } from 'node:crypto';
import { admin, alice, check, checks, ok } from './storage-common.mjs';


const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const names = list => list.map(e => e.name);

// Pages through listV2 with the given options; returns every page.
async function allPages(client, bucket, opts) {
  const pages = [];
  let cursor;
  for (let i = 0; i < 50; i++) {
    const page = ok(await client.from(bucket).listV2({ ...opts, ...(cursor ? { cursor } : {}) }), `listV2 page ${i}`);
    pages.push(page);
    if (!page.hasNext) return pages;
    check(typeof page.nextCursor === 'string' && page.nextCursor.length > 0, 'hasNext comes with a nextCursor', page);
    cursor = page.nextCursor;
  }
  check(false, 'listV2 never ended');
}

const bucket = `rls-lv2-${randomBytes(4).toString('hex')}`;
ok(await admin.createBucket(bucket, { public: false }), 'createBucket');
// Names chosen so byte order matters: "a/b.txt" sorts before the folder "a/b/", and "a.txt" before "a/".
const files = ['a.txt', 'a/b.txt', 'a/b/c.txt', 'a/b/d.txt', 'a/e.txt', 'a/f/g.txt', 'b.txt', 'c/d.txt', 'ab/x.txt'];
for (const name of files) {
  ok(await admin.from(bucket).upload(name, `body of ${name}`, { contentType: 'text/plain' }), `upload ${name}`);
}
const sorted = [...files].sort((x, y) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));

// 1. Flat: every object, full names, name order (bytes), no folders; one page with the default limit
const flat = ok(await admin.from(bucket).listV2(), 'listV2 flat');
check(flat.hasNext === false && flat.nextCursor === undefined, 'flat: one page', flat);
check(same(names(flat.objects), sorted) && flat.folders.length === 0, 'flat: every object by name', names(flat.objects));
const first = flat.objects[0];
check(typeof first.id === 'string' && first.metadata?.size === `body of ${first.name}`.length && first.metadata?.mimetype === 'text/plain'
  && typeof first.updated_at === 'string' && typeof first.created_at === 'string', 'flat: object fields', first);

// 2. Flat pages of 2 concatenate to the same list, hasNext false only on the last
const flatPages = await allPages(admin, bucket, { limit: 2 });
check(flatPages.length === Math.ceil(files.length / 2), 'flat: page count', flatPages.length);
check(flatPages.every(p => p.objects.length <= 2), 'flat: page size', flatPages.map(p => p.objects.length));
check(same(flatPages.flatMap(p => names(p.objects)), sorted), 'flat pages: no overlap, no gap', flatPages.flatMap(p => names(p.objects)));

// 3. Flat with a prefix: only names starting with it (as given: "a" also matches "a.txt" and "ab/x.txt")
const flatA = ok(await admin.from(bucket).listV2({ prefix: 'a/' }), 'listV2 prefix a/');
check(same(names(flatA.objects), sorted.filter(n => n.startsWith('a/'))), 'flat prefix a/', names(flatA.objects));

// 4. Folders at the root: files and folders of the first level, folder names with their slash
const root = ok(await admin.from(bucket).listV2({ with_delimiter: true }), 'listV2 root folders');
check(same(names(root.folders), ['a/', 'ab/', 'c/']), 'root folders', root.folders);
check(same(names(root.objects), ['a.txt', 'b.txt']), 'root objects', names(root.objects));
check(root.folders.every(f => f.id === null && f.metadata === null), 'folders have no id or metadata', root.folders);

// 5. Folders under a/: a/b/ and a/f/ are folders, a/b.txt and a/e.txt files; key is the last segment
const underA = ok(await admin.from(bucket).listV2({ prefix: 'a/', with_delimiter: true }), 'listV2 a/ folders');
check(same(names(underA.folders), ['a/b/', 'a/f/']), 'a/ folders', underA.folders);
check(same(names(underA.objects), ['a/b.txt', 'a/e.txt']), 'a/ objects', names(underA.objects));
check(same(underA.folders.map(f => f.key), ['b', 'f']) && same(underA.objects.map(o => o.key), ['b.txt', 'e.txt']), 'keys are the last segment', underA);

// 6. Folder pages of one entry: the walk resumes after a folder without listing its content
const onePages = await allPages(admin, bucket, { prefix: 'a/', with_delimiter: true, limit: 1 });
const walked = onePages.flatMap(p => [...names(p.folders), ...names(p.objects)]);
check(same(walked, ['a/b.txt', 'a/b/', 'a/e.txt', 'a/f/']), 'folder pages of 1 in byte order', walked);
check(onePages.length === 4 && onePages.slice(0, 3).every(p => p.hasNext) && !onePages[3].hasNext, 'hasNext on all but the last', onePages.map(p => p.hasNext));

// 7. Descending, flat and with folders (paged)
const desc = await allPages(admin, bucket, { limit: 3, sortBy: { column: 'name', order: 'desc' } });
check(same(desc.flatMap(p => names(p.objects)), [...sorted].reverse()), 'flat descending pages', desc.flatMap(p => names(p.objects)));
const descFolders = await allPages(admin, bucket, { prefix: 'a/', with_delimiter: true, limit: 1, sortBy: { column: 'name', order: 'desc' } });
check(same(descFolders.flatMap(p => [...names(p.folders), ...names(p.objects)]), ['a/f/', 'a/e.txt', 'a/b/', 'a/b.txt']), 'folder pages descending',
  descFolders.flatMap(p => [...names(p.folders), ...names(p.objects)]));

// 8. Ordered by created_at (uploads were sequential): pages of 4 give upload order
const byTime = await allPages(admin, bucket, { limit: 4, sortBy: { column: 'created_at', order: 'asc' } });
check(same(byTime.flatMap(p => names(p.objects)), files), 'created_at pages in upload order', byTime.flatMap(p => names(p.objects)));
const byTimeDesc = await allPages(admin, bucket, { limit: 4, sortBy: { column: 'created_at', order: 'desc' } });
check(same(byTimeDesc.flatMap(p => names(p.objects)), [...files].reverse()), 'created_at descending pages', byTimeDesc.flatMap(p => names(p.objects)));
// With folders: a folder takes the earliest created_at inside it (a/ → a/b.txt, the second upload)
const timeFolders = ok(await admin.from(bucket).listV2({ with_delimiter: true, sortBy: { column: 'created_at', order: 'asc' } }), 'folders by created_at');
check(same([...timeFolders.folders, ...timeFolders.objects].sort((x, y) => x.created_at.localeCompare(y.created_at) || x.name.localeCompare(y.name)).map(e => e.name),
  ['a.txt', 'a/', 'b.txt', 'c/', 'ab/']), 'folders by created_at', timeFolders);

// 9. An unreadable cursor: upstream's InvalidParameter
const bad = await admin.from(bucket).listV2({ cursor: 'bm9wZQ==' });
check(bad.error && bad.error.statusCode === '400' && bad.error.message === 'Invalid Parameter continuation token', 'bad cursor', bad.error);

// 10. RLS: alice sees only the rows she owns (rls-* buckets: owner_id = auth.uid())
ok(await alice.from(bucket).upload('a/mine.txt', 'mine', { contentType: 'text/plain' }), 'alice uploads');
const hers = ok(await alice.from(bucket).listV2({ with_delimiter: true }), 'alice listV2');
check(same(names(hers.folders), ['a/']) && hers.objects.length === 0, 'alice sees only her folder', hers);
const hersFlat = ok(await alice.from(bucket).listV2(), 'alice listV2 flat');
check(same(names(hersFlat.objects), ['a/mine.txt']), 'alice sees only her object', names(hersFlat.objects));

ok(await admin.emptyBucket(bucket), 'emptyBucket');
ok(await admin.deleteBucket(bucket), 'deleteBucket');
console.log(JSON.stringify({ ok: true, checks: checks() }));
