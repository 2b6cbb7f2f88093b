// The status page's only stylesheet, inline: no external asset, readable on a phone (tables become
// labelled cards below 40em), colours that say the level even in dark mode.
export const PAGE_STYLE = `
:root{color-scheme:light dark;--good:#1a7f37;--warn:#9a6700;--crit:#cf222e;--muted:#6e7781;--line:#d0d7de}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:72em;padding:1em}
h1{font-size:1.3em;margin:0}h2{font-size:1.05em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line)}
header{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center}
.muted,.note{color:var(--muted)}.note{font-size:.9em}
.level{display:inline-block;font-weight:700;padding:.1em .6em;border-radius:.3em;color:#fff;background:var(--muted)}
.level-GOOD{background:var(--good)}.level-WARNING{background:var(--warn)}.level-CRITICAL{background:var(--crit)}
#level{font-size:1.4em}
.result-success{color:var(--good)}.result-failure,.result-timeout,.result-aborted,.bad{color:var(--crit);font-weight:600}
ul.problems li.WARNING{color:var(--warn)}ul.problems li.CRITICAL{color:var(--crit);font-weight:600}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85em;color:var(--muted);font-weight:600}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr[data-level=WARNING] td.name{border-left:.3em solid var(--warn)}tr[data-level=CRITICAL] td.name{border-left:.3em solid var(--crit)}
tr[data-level=GOOD] td.name{border-left:.3em solid var(--good)}
.reasons{margin:.2em 0 0;padding-left:1.1em;font-size:.9em}
pre{white-space:pre-wrap;word-break:break-word;font-size:.8em;background:rgba(127,127,127,.1);padding:.5em;max-height:24em;overflow:auto}
progress{width:8em;vertical-align:middle}
code{word-break:break-all}
@media (max-width:40em){
  table,thead,tbody,tr,td{display:block}thead{display:none}
  tr{border:1px solid var(--line);border-radius:.4em;margin:.6em 0;padding:.3em}
  td{border:0;padding:.15em .3em}td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-size:.85em}
  tr[data-level] td.name{border-left:0}tr[data-level]{border-left-width:.4em}
  tr[data-level=WARNING]{border-left-color:var(--warn)}tr[data-level=CRITICAL]{border-left-color:var(--crit)}tr[data-level=GOOD]{border-left-color:var(--good)}
}
`;
