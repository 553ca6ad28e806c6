// The pages' shared log: timestamped lines in <pre id="log">, which the browser tests read when a check fails.
const lines = []
window.log = (...parts) => {
  lines.push(new Date().toISOString().slice(11, 23) + ' ' + parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' '))
  document.getElementById('log').textContent = lines.join('\n')
}
