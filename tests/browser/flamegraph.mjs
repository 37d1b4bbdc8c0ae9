// SPDX-License-Identifier: GPL-2.0-or-later
// Opens memspy's flame graph SVG in headless Chromium and checks it through the DOM.
// usage: node flamegraph.mjs GRAPH.svg OUTDIR
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [svgPath, outDir] = process.argv.slice(2);
const failures = [];
function check(ok, what) {
	console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
	if (!ok) failures.push(what);
}

const profile = mkdtempSync(join(tmpdir(), 'memspy-chromium-'));
// A fresh profile directory each run (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	viewport: { width: 1200, height: 260 },
});
try {
	const page = browser.pages()[0] ?? await browser.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	let answer = null;
	page.on('dialog', async (d) => { await d.accept(answer ?? ''); });
	await page.goto('file://' + resolve(svgPath));
	await page.waitForFunction(() => window.memspy !== undefined, null, { timeout: 10000 });

	// What the page shows: every frame, its name, drawn geometry and state.
	const frames = () => page.evaluate(() => Array.from(document.querySelectorAll('g.f')).map((g) => {
		const r = g.querySelector('rect').getBoundingClientRect();
		return {
			name: g.querySelector('title').textContent.split('\n')[0],
			label: g.querySelector('text').textContent,
			x: r.x, width: r.width, visible: r.width > 0 && getComputedStyle(g).display !== 'none',
			hit: g.classList.contains('hit'), anc: g.classList.contains('anc'),
			fill: g.querySelector('rect').getAttribute('fill'),
		};
	}));
	const text = (id) => page.evaluate((i) => {
		const e = document.getElementById(i);
		return { text: e.textContent, shown: getComputedStyle(e).display !== 'none' };
	}, id);
	const byName = (fs, n) => fs.filter((f) => f.name === n);

	// 1. it renders
	let fs = await frames();
	check(fs.length === 13, `renders 13 frames (got ${fs.length})`);
	const root = byName(fs, 'all')[0];
	check(root && Math.abs(root.width - 1180) < 1, `root spans the graph (${root && root.width} px)`);
	const cache = byName(fs, 'cache_put')[0];
	check(cache && Math.abs(cache.width - 0.5 * 1180) < 1, `cache_put is 50% wide (${cache && cache.width} px)`);
	check(cache && cache.label === 'cache_put', 'cache_put is labelled');
	check(byName(fs, 'do_syscall_64')[0]?.fill.startsWith('rgb(2'), 'kernel frame is orange');
	check(errors.length === 0, `no script errors ${errors.join('; ')}`);
	await page.screenshot({ path: join(outDir, 'flamegraph.png') });

	// 2. Ctrl-F search highlights the matching frames and reports their share
	answer = 'malloc';
	await page.mouse.move(600, 250);
	await page.keyboard.press('Control+f');
	await page.waitForFunction(() => document.querySelectorAll('g.hit').length > 0, null, { timeout: 5000 });
	fs = await frames();
	const hits = fs.filter((f) => f.hit);
	check(hits.length === 3 && hits.every((f) => f.name === 'malloc'),
	      `Ctrl-F 'malloc' highlights the 3 malloc frames (got ${hits.map((f) => f.name)})`);
	check(hits.every((f) => f.fill === 'rgb(230,0,230)'), 'matches are drawn in magenta');
	check(fs.filter((f) => !f.hit).every((f) => f.fill !== 'rgb(230,0,230)'), 'nothing else is');
	let m = await text('matched');
	check(m.shown && m.text === 'Matched: 8.30 KiB (85.00%)', `share shown: '${m.text}'`);
	await page.screenshot({ path: join(outDir, 'flamegraph-search.png') });

	// 3. the Search button: first click resets, second asks again; nested matches count once
	await page.click('#search');
	fs = await frames();
	check(fs.every((f) => !f.hit) && !(await text('matched')).shown, 'Reset Search clears the highlight');
	answer = 'recurse';
	await page.click('#search');
	await page.waitForFunction(() => document.querySelectorAll('g.hit').length > 0, null, { timeout: 5000 });
	fs = await frames();
	m = await text('matched');
	check(fs.filter((f) => f.hit).length === 2 && m.text === 'Matched: 500 B (5.00%)',
	      `button search 'recurse': 2 frames, recursion counted once ('${m.text}')`);

	// 4. a click zooms into a frame; Reset Zoom restores
	const box = await page.locator('g.f', { hasText: 'cache_put' }).first().locator('rect').boundingBox();
	await page.mouse.click(box.x + 5, box.y + box.height / 2);
	fs = await frames();
	const zc = byName(fs, 'cache_put')[0];
	check(Math.abs(zc.width - 1180) < 1 && Math.abs(zc.x - 10) < 1, `clicked frame fills the width (${zc.width} px)`);
	check(zc.label === 'cache_put', `the zoomed frame is labelled ('${zc.label}')`);
	check(byName(fs, 'malloc').filter((f) => f.visible).length === 1, 'only its own malloc is still shown');
	check(!byName(fs, 'parse')[0].visible, 'siblings are hidden');
	check(byName(fs, 'main')[0].anc && byName(fs, 'main')[0].visible, 'callers stay, faded');
	check((await text('unzoom')).shown, 'Reset Zoom appears');
	await page.screenshot({ path: join(outDir, 'flamegraph-zoom.png') });
	await page.click('#unzoom');
	fs = await frames();
	check(Math.abs(byName(fs, 'cache_put')[0].width - 590) < 1 && byName(fs, 'parse')[0].visible,
	      'Reset Zoom restores the layout');
	check(byName(fs, 'cache_put')[0].label === 'cache_put', 'and the labels');
	check(!(await text('unzoom')).shown, 'Reset Zoom hides itself');
	check(errors.length === 0, `still no script errors ${errors.join('; ')}`);
} finally {
	await browser.close();
	rmSync(profile, { recursive: true, force: true });
}
console.log(`screenshots: ${join(outDir, 'flamegraph.png')} (and -search, -zoom)`);
process.exit(failures.length ? 1 : 0);
