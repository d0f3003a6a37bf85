/**
 * Start the real backend once for the whole run (test/backend.py: Django on the embedded
 * default + the fake WeChat servers) and hand its address to the tests through a file.
 */
const {spawn} = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const REPO = path.resolve(__dirname, '..', '..', '..')

module.exports = async function globalSetup() {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-miniprogram-'))
  const python = process.env.PYTHON || 'python'
  const child = spawn(python, [path.join(REPO, 'miniprogram', 'test', 'backend.py'), varDir], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const info = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('the backend did not start within 180 s')), 180000)
    child.stdout.on('data', (chunk) => {
      out += chunk
      const newline = out.indexOf('\n')
      if (newline >= 0) {
        clearTimeout(timer)
        resolve(JSON.parse(out.slice(0, newline)))
      }
    })
    child.on('exit', (code) => reject(new Error(`the backend exited with ${code} before it was up`)))
  })
  const file = path.join(varDir, 'backend.json')
  fs.writeFileSync(file, JSON.stringify(info))
  process.env.SC_BACKEND_FILE = file
  globalThis.__SC_BACKEND__ = {child, varDir}
}
