// What takes the space in the AOT binary, from ILC's map file: node bytes by kind and by library (the numbers in
// docs/footprint.md). Make the map with a publish that keeps it, then read it:
//   dotnet publish src/Edge -c Release -r linux-x64 -o artifacts/size-map -p:IlcGenerateMapFile=true
//   node scripts/size-map.mjs src/Edge/obj/Release/net10.0/linux-x64/native/madbase-edge.map.xml
// A node is counted once, under the first group whose marker its (mangled) name contains, so a generic instantiation
// over a library's type counts for that library; System.Private.CoreLib's own code is left in "other".
import fs from 'node:fs'
import readline from 'node:readline'

const file = process.argv[2]
if (!file || !fs.existsSync(file)) {
  console.error('usage: node scripts/size-map.mjs PATH/madbase-edge.map.xml (see the comment at the top)')
  process.exit(2)
}
const groups = [
  ['Npgsql', ['Npgsql']],
  ['ASP.NET Core', ['Kestrel', 'AspNetCore']],
  ['madbase-edge', ['madbase_edge']],
  ['AWS SDK', ['AWSSDK']],
  ['System.Net.Http', ['System_Net_Http', 'System_Net_Requests']],
  ['NATS client', ['NATS']],
  ['System.Text.Json', ['System_Text_Json']],
  ['System.Private.Xml', ['S_P_Xml', 'System_Private_Xml', 'System_Xml']],
  ['Regex', ['RegularExpressions']],
  ['Logging', ['Extensions_Logging']],
]
const node = /<(\w+) Name="([^"]*)" Length="(\d+)"/
const byKind = new Map()
const byGroup = new Map()
let total = 0
for await (const line of readline.createInterface({ input: fs.createReadStream(file) })) {
  const m = node.exec(line)
  if (!m) continue
  const bytes = Number(m[3])
  total += bytes
  byKind.set(m[1], (byKind.get(m[1]) ?? 0) + bytes)
  const group = groups.find(([, markers]) => markers.some((k) => m[2].includes(k)))?.[0] ?? 'other'
  byGroup.set(group, (byGroup.get(group) ?? 0) + bytes)
}
const mb = (n) => (n / 1e6).toFixed(2).padStart(7)
const print = (title, map, limit) => {
  console.log(title)
  for (const [name, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`${mb(bytes)} MB  ${name}`)
}
console.log(`${mb(total)} MB  of nodes in ${file} (compare groups with each other: nodes are counted before the linker lays out and strips the binary)`)
print('by kind:', byKind, 10)
print('by library:', byGroup, groups.length + 1)
