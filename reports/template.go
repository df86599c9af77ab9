package reports

// indexHTML lays out a page: the first screen (question, designs,
// verdicts, the trade-off), then the evidence. Wide tables sit in a box
// that scrolls sideways on a phone, never the page.
const indexHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Scenario}}: faultline report</title>
<style>
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1320px;margin:0 auto;padding:1em 1.5em}
h1{margin:.2em 0 .1em}
h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{margin:1.2em 0 .3em}
.question{font-size:1.2em;margin:.2em 0 .4em}
.banner{padding:.5em 1em;border-radius:6px;font-size:1.1em;font-weight:600;margin:.6em 0}
.banner.pass{background:#e3f4e8;color:#1b5e20;border:1px solid #7bc48a}
.banner.fail{background:#fbe5e3;color:#8b1a10;border:1px solid #e0837a}
.banner.none{background:#f2f2f2;color:#444;border:1px solid #ccc}
.hscroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.4em 0 .8em;font-size:14px}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f6f6f6}
th.v{white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
td.best{font-weight:700;background:#f3f8ec}
td.name{white-space:nowrap;font-weight:600}
td.pass{background:#e3f4e8;color:#1b5e20;font-weight:700}
td.fail{background:#fbe5e3;color:#8b1a10;font-weight:700}
table.designs td.desc{min-width:22em}
.chk{white-space:nowrap;font-size:13px}
.chk.pass::before{content:"✓ ";color:#1b5e20;font-weight:700}
.chk.fail::before{content:"✗ ";color:#8b1a10;font-weight:700}
.chk.fail code{color:#8b1a10}
small{color:#666}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.4em;vertical-align:-1px}
/*variant colours*/
.first{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,6fr);gap:1.5em;align-items:start}
@media (max-width:900px){.first{grid-template-columns:minmax(0,1fr)}}
ul.findings li{margin:.35em 0}
figure{margin:1.2em 0}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:14px}
summary{cursor:pointer;color:#333}
details{margin:.4em 0}
pre{background:#f6f6f6;padding:1em;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
code{font-size:13px;overflow-wrap:anywhere}
nav{font-size:14px;color:#555}
nav a{margin-right:.8em}
footer{margin-top:3em;color:#666;font-size:13px}
</style>
</head>
<body>
<h1>{{.Scenario}}</h1>
{{with .Question}}<p class="question">{{.}}</p>{{end}}
{{with .Setup}}<details><summary>How the scenario is set up</summary><p>{{.}}</p></details>{{end}}
<div class="banner {{.Banner.Class}}">{{.Banner.Text}}</div>
<p>{{.Overview}}</p>

<h2 id="designs">The designs and their hypotheses</h2>
<div class="hscroll"><table class="designs">
<tr><th>design</th><th>what it is</th><th>hypotheses</th></tr>
{{range .Designs}}<tr><td class="name"><span class="sw v{{.Color}}"></span>{{.Variant}}</td><td class="desc">{{.Description}}</td><td>{{range .Checks}}<div class="chk {{if .Pass}}pass{{else}}fail{{end}}"><code>{{.Expr}}</code> <small>got {{.Got}}</small></div>{{else}}<small>none</small>{{end}}</td></tr>
{{end}}</table></div>

<section class="first">
<div>
<h2 id="tradeoff">The trade-off</h2>
{{if .Findings}}<ul class="findings">
{{range .Findings}}<li>{{.}}</li>
{{end}}</ul>{{else}}<p>One design: nothing to compare.</p>{{end}}
<p><small>Numbers are means over the seeds; intervals are {{.Interval}}.</small></p>
</div>
{{with .Lead}}<figure id="fig-{{.ID}}">
<a href="{{.SVG}}"><img src="{{.PNG}}" alt="{{.Title}}"/></a>
<figcaption>{{.Caption}}</figcaption>
</figure>{{end}}
</section>

<nav>Evidence: <a href="#key">key numbers</a><a href="#hypotheses">hypotheses</a><a href="#faults">faults</a>{{range .Figures}}<a href="#fig-{{.ID}}">{{.Title}}</a>{{end}}<a href="#phases">per phase</a><a href="#runs">runs</a></nav>

<h2 id="key">Key numbers</h2>
<p>Means over the seeds, with {{.Interval}} below each; the best value of a row is in bold (none when all tie).</p>
{{template "metrics" .Key}}

<h2 id="hypotheses">Hypotheses</h2>
{{if .Verdicts}}<div class="hscroll"><table>
<tr><th>design</th><th>hypothesis</th><th>got (mean over seeds)</th><th>want</th><th>result</th><th>reason</th></tr>
{{range .Verdicts}}<tr><td class="name"><span class="sw v{{.Color}}"></span>{{.Variant}}</td><td><code>{{.Expr}}</code></td><td class="num">{{.Got}}</td><td class="num">{{.Want}}</td>{{if .Pass}}<td class="pass">PASS</td>{{else}}<td class="fail">FAIL</td>{{end}}<td>{{.Reason}}</td></tr>
{{end}}</table></div>{{else}}<p>None stated.</p>{{end}}

{{if .Calibration}}<h2 id="calibration">Simulation vs reality</h2>
<p>Each metric as the simulator predicted it and as the real run measured it, and the difference (real minus simulated). A real run that runs the scenario's schedule faster (time scale below 1: fault times and durations shortened, service times, timeouts and Raft's timers not) is compared with the simulator on that same shortened schedule, over the report's seeds (mean, and the range over seeds); its time series are drawn stretched to the scenario's time. Targets: availability within 0.05, the time to a new leader within 30%, of the simulated mean. One real run is one sample, and some outcomes are chance in both engines (which replica leads when a cut comes, for one): a real value off the mean but within the target of the range the simulated seeds span is marked as such; a miss outside that range is marked in red.</p>
<p>{{.CalibrationSummary}}</p>
<div class="hscroll"><table>
<tr><th>design</th><th>metric</th><th>time scale</th><th>simulated</th><th>range over seeds</th><th>real</th><th>real − sim</th><th>target</th><th>met</th></tr>
{{range .Calibration}}<tr><td>{{.Variant}}</td><td><code>{{.Metric}}</code></td><td class="num">{{.Scale}}</td><td class="num">{{.Sim}}</td><td class="num">{{.Range}}</td><td class="num">{{.Real}}</td><td class="num">{{.Diff}}</td><td>{{.Target}}</td>{{if .Miss}}<td class="fail">{{.Within}}</td>{{else}}<td>{{.Within}}</td>{{end}}</tr>
{{end}}</table></div>
{{if .CalibrationMore}}<details><summary>{{len .CalibrationMore}} more rows: per client, per fault, and the models' own counters</summary>
<div class="hscroll"><table>
<tr><th>design</th><th>metric</th><th>time scale</th><th>simulated</th><th>range over seeds</th><th>real</th><th>real − sim</th><th>target</th><th>met</th></tr>
{{range .CalibrationMore}}<tr><td>{{.Variant}}</td><td><code>{{.Metric}}</code></td><td class="num">{{.Scale}}</td><td class="num">{{.Sim}}</td><td class="num">{{.Range}}</td><td class="num">{{.Real}}</td><td class="num">{{.Diff}}</td><td>{{.Target}}</td>{{if .Miss}}<td class="fail">{{.Within}}</td>{{else}}<td>{{.Within}}</td>{{end}}</tr>
{{end}}</table></div></details>{{end}}{{end}}

<h2 id="faults">Fault timeline</h2>
{{if .Faults}}<div class="hscroll"><table>
<tr><th>type</th><th>what</th><th>start</th><th>end</th><th>engine</th></tr>
{{range .Faults}}<tr><td>{{.Type}}</td><td>{{.Label}}</td><td class="num">{{.Start}}</td><td class="num">{{.End}}</td><td>{{.Engine}}</td></tr>
{{end}}</table></div>{{else}}<p>No faults were injected.</p>{{end}}

<h2 id="figures">Figures</h2>
<p>Click a figure for its SVG, which stays sharp when zoomed.</p>
{{range .Figures}}<figure id="fig-{{.ID}}">
<h3>{{.Title}}</h3>
<a href="{{.SVG}}"><img src="{{.PNG}}" alt="{{.Title}}"/></a>
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
<h2 id="phases">Per phase</h2>
<p>Means over the seeds, with {{.Interval}} below each; the best value of a column is in bold. Latencies (p50, p99, max) are those of the <b>successful</b> requests: a request refused at once is not a fast request. <i>fast failures</i> is the share refused at once, and <i>p99 all</i> the p99 over every request that ended, failures included.</p>
{{range .Phases}}<details{{if .Open}} open{{end}}><summary><b>{{.Name}}</b></summary>
<div class="hscroll"><table>
<tr><th>design</th><th>requests</th><th>availability</th><th>goodput</th><th>throughput</th><th>fast failures</th><th>p50 ok</th><th>p99 ok</th><th>max ok</th><th>p99 all</th></tr>
{{range .Rows}}<tr><td class="name"><span class="sw v{{.Color}}"></span>{{.Variant}}</td>{{range .Cells}}<td class="num{{if .Best}} best{{end}}">{{.Mean}}{{with .CI}}<br/><small>{{.}}</small>{{end}}</td>{{end}}</tr>
{{end}}</table></div></details>
{{end}}
{{if .ModelKey.Rows}}<h3>The models' own metrics (whole run)</h3>
{{template "metrics" .ModelKey}}{{end}}
{{if .ModelMore.Rows}}<details><summary>{{len .ModelMore.Rows}} more of the models' counters (whole run)</summary>
{{template "metrics" .ModelMore}}</details>{{end}}

<h2 id="runs">Runs</h2>
<p>Seeds: {{.Seeds}}. Every run replays from its seed: a simulated run with the same seed and version gives the same trace hash.</p>
<details><summary>{{len .Runs}} runs, with their files</summary>
<div class="hscroll"><table>
<tr><th>design</th><th>engine</th><th>seed</th><th>trace hash</th><th>events</th><th>requests</th><th>availability</th><th>files</th></tr>
{{range .Runs}}<tr><td class="name"><span class="sw v{{.Color}}"></span>{{.Variant}}</td><td>{{.Engine}}</td><td class="num">{{.Seed}}</td><td><code>{{.TraceHash}}</code></td><td class="num">{{.Events}}</td><td class="num">{{.Requests}}</td><td class="num">{{.Availability}}</td><td>{{range .Files}}<a href="{{.Path}}">{{.Label}}</a> {{end}}{{range .Notes}}<br><small>{{.}}</small>{{end}}</td></tr>
{{end}}</table></div></details>
<p>Data: <a href="summary.json">summary.json</a> (everything on this page), <a href="runs.csv">runs.csv</a> (a row per run and phase), <a href="timeseries.csv">timeseries.csv</a> (the mean series).</p>

<h2 id="source">Scenario source</h2>
{{if .Source}}<details><summary>the scenario file as run</summary><pre>{{.Source}}</pre></details>{{else}}<p>Not recorded.</p>{{end}}

<footer>faultline {{with .Version}}{{.}}{{else}}(version not recorded){{end}}</footer>
</body>
</html>
{{define "metrics"}}<div class="hscroll"><table>
<tr><th>metric</th>{{range .Variants}}<th class="v"><span class="sw v{{.Color}}"></span>{{.Name}}</th>{{end}}</tr>
{{range .Rows}}<tr><td><code>{{.Name}}</code> <small>{{.Note}}</small></td>{{range .Cells}}<td class="num{{if .Best}} best{{end}}">{{.Mean}}{{with .CI}}<br/><small>{{.}}</small>{{end}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}`
