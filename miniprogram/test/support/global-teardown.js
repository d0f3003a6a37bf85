const fs = require('fs')

module.exports = async function globalTeardown() {
  const backend = globalThis.__SC_BACKEND__
  if (!backend) return
  const exited = new Promise((resolve) => backend.child.on('exit', resolve))
  backend.child.stdin.end() // the launcher stops its server and the fake when stdin closes
  const timer = setTimeout(() => backend.child.kill('SIGKILL'), 15000)
  await exited
  clearTimeout(timer)
  fs.rmSync(backend.varDir, {recursive: true, force: true})
}
