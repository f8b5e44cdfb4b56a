import type { Bootstrap } from './types'

/**
 * The demo's only HTML page. The bootstrap JSON (the server's current model
 * version) rides along so the page's cache starts on the right version
 * without an extra request; `<` is escaped so no value can close the script tag.
 */
export function renderPage(bootstrap: Bootstrap): string {
  const json = JSON.stringify(bootstrap).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cachet demo: AI recommendations</title>
<link rel="icon" href="data:,">
<style>${styles}</style>
</head>
<body>
<div id="root"></div>
<script type="application/json" id="bootstrap">${json}</script>
<script type="module" src="/app.js"></script>
</body>
</html>
`
}

const styles = `
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f5f6f8; }
body { margin: 0; }
header { padding: 14px 20px; background: #1d2330; color: #fff; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header p { margin: 0; color: #c4c9d4; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) minmax(380px, 1.15fr); gap: 14px; padding: 14px 20px; }
section, aside { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 12px 14px; }
h2 { font-size: 15px; margin: 0 0 8px; display: flex; justify-content: space-between; align-items: center; }
h3 { font-size: 13px; margin: 12px 0 6px; color: #4a5263; text-transform: uppercase; letter-spacing: .04em; }
ol { margin: 0; padding-left: 20px; }
li { margin: 2px 0; }
.price { color: #4a5263; font-variant-numeric: tabular-nums; }
.muted { color: #7a8294; font-size: 12px; }
.pick { background: #eef4ff; border-radius: 6px; padding: 8px 10px; margin-bottom: 6px; }
.badge { font-size: 12px; background: #eef0f4; border-radius: 10px; padding: 1px 8px; color: #4a5263; font-weight: normal; }
.controls { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; padding: 0 20px 14px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f4; vertical-align: top; }
th { color: #4a5263; font-weight: 600; }
button, select, input { font: inherit; font-size: 12px; }
button { cursor: pointer; border: 1px solid #c4c9d4; background: #fff; border-radius: 5px; padding: 2px 8px; }
button:hover { background: #f0f2f6; }
input[type=number] { width: 84px; box-sizing: border-box; }
.nowrap { white-space: nowrap; }
.tags { font-size: 11px; color: #4a5263; }
.out { color: #b3261e; }
.fresh { color: #1b7f3b; }
.stale { color: #a15c00; }
.stats { display: grid; grid-template-columns: repeat(4, auto); gap: 2px 12px; font-size: 12px; margin-bottom: 8px; }
.stats b { font-variant-numeric: tabular-nums; }
.row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 4px 0; }
`
