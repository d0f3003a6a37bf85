/**
 * Every page's WXML and WXSS compiles with WeChat's own compilers (wcc, wcsc, shipped in
 * miniprogram-compiler), and every page in app.json exists with its four files, so a broken tag
 * or a bad style fails the run here, as it would in WeChat DevTools.
 */
const fs = require('fs')
const os = require('os')
const path = require('path')

const compiler = require('miniprogram-compiler')
const wcsc = require('miniprogram-compiler/src/wcsc')

const APP = path.resolve(__dirname, '..', 'app')
const app = JSON.parse(fs.readFileSync(path.join(APP, 'app.json'), 'utf8'))

/** All page paths (without extension) under a root. @param {string} root */
function pagesOf(root) {
  return JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8')).pages
}

/** wcsc answers an Error instead of throwing; throw it. @param {string} root */
function compileStyles(root) {
  const result = wcsc(root, ['app', ...pagesOf(root)])
  if (result instanceof Error) throw result
  return result
}

const copies = []
afterAll(() => copies.forEach((root) => fs.rmSync(root, {recursive: true, force: true})))

/** A copy of the app with one file changed. @param {string} file @param {(text: string) => string} change */
function brokenCopy(file, change) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-app-'))
  copies.push(root)
  fs.cpSync(APP, root, {recursive: true})
  const target = path.join(root, file)
  fs.writeFileSync(target, change(fs.readFileSync(target, 'utf8')))
  return root
}

test('app.json lists the six pages, each with its js, json, wxml and wxss', () => {
  expect(app.pages).toEqual([
    'pages/start/start',
    'pages/photo/photo',
    'pages/cart/cart',
    'pages/pay/pay',
    'pages/receipt/receipt',
    'pages/orders/orders',
  ])
  for (const page of app.pages) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) {
      expect(fs.existsSync(path.join(APP, `${page}.${ext}`))).toBe(true)
    }
    const js = fs.readFileSync(path.join(APP, `${page}.js`), 'utf8')
    expect(js).toMatch(/^Component\(\{/m) // pages use the Component constructor
  }
})

test('wcc compiles every WXML file', () => {
  const code = compiler.wxmlToJs(APP)
  const gwx = new Function(code)()
  for (const page of app.pages) expect(typeof gwx(`${page}.wxml`)).toBe('function')
})

test('wcsc compiles every WXSS file', () => {
  const styles = compileStyles(APP)
  for (const page of app.pages) expect(styles[`${page}.wxss`]).toBeTruthy()
})

test('a broken tag fails wcc', () => {
  const root = brokenCopy('pages/cart/cart.wxml', (wxml) => wxml.replace('</button>', '</buton>'))
  expect(() => compiler.wxmlToJs(root)).toThrow(/pages\/cart\/cart\.wxml:\d+:\d+: expect end-tag `button`/)
})

test('a broken style fails wcsc', () => {
  const root = brokenCopy('pages/pay/pay.wxss', (wxss) => wxss.replace('.amount {', '.amount {{'))
  expect(() => compileStyles(root)).toThrow(/pages\/pay\/pay\.wxss/)
})

test('page JSON is valid and sets a Chinese title', () => {
  for (const page of app.pages) {
    const json = JSON.parse(fs.readFileSync(path.join(APP, `${page}.json`), 'utf8'))
    expect(json.navigationBarTitleText).toMatch(/[\u4e00-\u9fa5]/)
  }
})
