// A small HTTP API and a TCP greeter in one container (python3 from the bank-node image), for the
// http and tcp probe kinds' accuracy benchmarks and their regression tests. Plain text, as drills are.
//   POST /messages {"run": R, "seq": N}  → 201 once stored in memory
//   GET  /messages/R-N                   → 200 stored, 404 not
//   GET  /health                         → 200
//   POST /admin/forget?n=M               → forgets the M writes stored last; says which on stderr of the caller
//   TCP 7000                             → "HELLO firedrill\r\n", then closes
export const SERVICE_PY = `
import json, socket, threading, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
store = {}
order = []
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def send(self, code, body=b''):
        self.send_response(code)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == '/health': return self.send(200, b'ok')
        if self.path.startswith('/messages/'):
            key = self.path[len('/messages/'):]
            with lock: found = key in store
            return self.send(200 if found else 404, store.get(key, '').encode())
        self.send(404)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0') or 0))
        if self.path.startswith('/admin/forget?n='):
            n = int(self.path.split('=')[1])
            with lock:
                gone = order[-n:]
                del order[-n:]
                for k in gone: store.pop(k, None)
            return self.send(200, ','.join(k.rsplit('-', 1)[1] for k in gone).encode())
        if self.path == '/messages':
            m = json.loads(body)
            key = '%s-%s' % (m['run'], m['seq'])
            with lock:
                store[key] = body.decode()
                order.append(key)
            return self.send(201, json.dumps({'id': key}).encode())
        self.send(404)
def greeter():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 7000)); s.listen(64)
    while True:
        c, _ = s.accept()
        try: c.sendall(b'HELLO firedrill\\r\\n')
        finally: c.close()
threading.Thread(target=greeter, daemon=True).start()
ThreadingHTTPServer(('0.0.0.0', 8080), H).serve_forever()
`

/** The forget call, run by a runbook step inside the container: prints the forgotten sequence numbers on stderr (the timeline keeps its last line). */
export const FORGET_PY = (n) =>
  `import urllib.request, sys; r = urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8080/admin/forget?n=${n}', method='POST')); sys.stderr.write('forgot ' + r.read().decode() + chr(10))`

/** One site, one `web` container running SERVICE_PY. */
export function httpServiceTopology(project) {
  return `name: ${project}
sites:
  dc1: {role: primary}
services:
  web:
    sites: [dc1]
    image: firedrill/bank-node:15
    command: [python3, -c, ${JSON.stringify(SERVICE_PY)}]
    health:
      test: [python3, -c, "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=2)"]
      interval: 1s
      timeout: 3s
      retries: 30
    stop_timeout: 1s
up_timeout: 60s
`
}

const probes = ({intervalMs, timeoutMs}) => `probes:
  api: {kind: http, service: web, port: 8080, path: /health, interval: ${intervalMs}ms, timeout: ${timeoutMs}ms}
  conn: {kind: tcp, service: web, port: 7000, banner: '^HELLO', interval: ${intervalMs}ms, timeout: ${timeoutMs}ms}
  writes:
    kind: http
    service: web
    port: 8080
    interval: ${intervalMs}ms
    timeout: ${timeoutMs}ms
    write: {path: /messages, body: '{"run": "\${run_id}", "seq": \${seq}}'}
    read: {path: '/messages/\${run_id}-\${seq}'}`

/**
 * Freeze the web container for exactly `outageS` s (fault: pause, sleep, heal): three probes on one
 * clock (an http check, a tcp banner check, http writes read back), each graded on its own. `connRto`
 * lets a test give the tcp probe an objective it must miss.
 */
export function httpFreezeDrill({topology, outageS, intervalMs, timeoutMs = 500, connRto = '30s'}) {
  return `name: freeze-web-${outageS}s-${intervalMs}ms
description: freeze the web container for exactly ${outageS} s and thaw it (ground truth for the http and tcp probes' RTO)
topology: ${topology}
${probes({intervalMs, timeoutMs})}
objectives:
  api: {rto: 30s}
  conn: {rto: ${connRto}}
  writes: {rto: 30s, rpo: 0s}
steps:
  - sleep: 1s
  - fault: pause
    name: freeze
    target: {service: web}
  - sleep: ${outageS}s
  - heal: [freeze]
  - wait: recovered
    timeout: 30s
  - sleep: 500ms
`
}

/** Exactly `lost` acknowledged writes forgotten by the API (a disruptive runbook step): lost writes and RPO against ground truth. */
export function httpLossDrill({topology, lost, intervalMs = 50}) {
  return `name: http-lose-${lost}-acked-writes
topology: ${topology}
probes:
  writes:
    kind: http
    service: web
    port: 8080
    interval: ${intervalMs}ms
    timeout: 500ms
    write: {path: /messages, body: '{"run": "\${run_id}", "seq": \${seq}}'}
    read: {path: '/messages/\${run_id}-\${seq}'}
objectives:
  writes: {rpo: 0s}
steps:
  - sleep: 1s
  - runbook: forget the last ${lost} writes the API stored
    argv: [python3, -c, ${JSON.stringify(FORGET_PY(lost))}]
    in: {service: web}
    disruptive: true
  - sleep: 1s
`
}
