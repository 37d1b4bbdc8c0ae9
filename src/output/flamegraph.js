/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flame-graph viewer in every flame graph SVG: zoom re-lays frames out from data-s/data-v (value units), search matches frame names, window.memspy exposes both to tests. */
/* fontw must be MS_FLAME_FONT_SIZE * MS_FLAME_FONT_WIDTH (output/assets.h): flamegraph.c cuts labels with the same numbers. */
'use strict';
var frames, details, unzoomBtn, searchBtn, matched, total, xpad, fullw, units;
var zoomed = null, term = null, hint = '';
var fontw = 12 * 0.59;
function init(evt) {
	frames = document.getElementById('frames');
	details = document.getElementById('details');
	unzoomBtn = document.getElementById('unzoom');
	searchBtn = document.getElementById('search');
	matched = document.getElementById('matched');
	total = +frames.getAttribute('data-total');
	xpad = +frames.getAttribute('data-xpad');
	fullw = +frames.getAttribute('data-width');
	units = frames.getAttribute('data-units');
	hint = details.textContent;
	frames.addEventListener('click', function (e) {
		var g = frameOf(e.target);
		if (g) zoom(g);
	});
	frames.addEventListener('mouseover', function (e) {
		var g = frameOf(e.target);
		if (!g) return;
		var lines = g.firstElementChild.textContent.split('\n');
		details.textContent = lines[0] + ' (' + lines.slice(1).join(', ') + ')';
	});
	frames.addEventListener('mouseout', function () { details.textContent = hint; });
	unzoomBtn.addEventListener('click', unzoom);
	searchBtn.addEventListener('click', function () {
		if (term !== null) search(null); else ask();
	});
	window.addEventListener('keydown', function (e) {
		if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) {
			e.preventDefault();
			ask();
		} else if (e.key === 'Escape') {
			unzoom();
			search(null);
		}
	});
	window.memspy = { zoom: zoom, unzoom: unzoom, search: search };
}
function frameOf(el) {
	for (; el && el !== frames; el = el.parentNode)
		if (el.classList && el.classList.contains('f')) return el;
	return null;
}
function num(g, a) { return +g.getAttribute(a); }
function nameOf(g) { return g.firstElementChild.textContent.split('\n')[0]; }
function fit(s, w) {
	var n = Math.floor((w - 6) / fontw);
	if (n < 3) return '';
	var chars = Array.from(s);
	return chars.length <= n ? s : chars.slice(0, n - 2).join('') + '..';
}
function place(g, x, w) {
	var r = g.querySelector('rect'), t = g.querySelector('text');
	r.setAttribute('x', x.toFixed(1));
	r.setAttribute('width', w.toFixed(1));
	t.setAttribute('x', (x + 3).toFixed(1));
	t.textContent = fit(nameOf(g), w);
	g.classList.remove('hide');
}
function zoom(z) {
	var s0 = num(z, 'data-s'), v0 = num(z, 'data-v'), d0 = num(z, 'data-d');
	var all = frames.children;
	for (var i = 0; i < all.length; i++) {
		var g = all[i], s = num(g, 'data-s'), v = num(g, 'data-v'), d = num(g, 'data-d');
		if (d < d0 && s <= s0 && s + v >= s0 + v0) {
			place(g, xpad, fullw);
			g.classList.add('anc');
		} else if (d >= d0 && s >= s0 && s + v <= s0 + v0) {
			place(g, xpad + (s - s0) * fullw / v0, v * fullw / v0);
			g.classList.remove('anc');
		} else {
			g.classList.add('hide');
		}
	}
	zoomed = z;
	unzoomBtn.classList.remove('hide');
}
function unzoom() {
	var all = frames.children;
	for (var i = 0; i < all.length; i++) {
		var g = all[i];
		place(g, xpad + num(g, 'data-s') * fullw / total, num(g, 'data-v') * fullw / total);
		g.classList.remove('anc');
	}
	zoomed = null;
	unzoomBtn.classList.add('hide');
}
function fmt(v) {
	if (units === 'samples') return v + (v === 1 ? ' sample' : ' samples');
	if (units === 'us') return v < 1000 ? v + ' us' : v < 1e6 ? (v / 1e3).toFixed(1) + ' ms' : (v / 1e6).toFixed(2) + ' s';
	var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], i = 0;
	while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
	return i ? v.toFixed(2) + ' ' + u[i] : v + ' B';
}
function ask() {
	var r = prompt('Search frames (regular expression):', term === null ? '' : term);
	if (r !== null) search(r === '' ? null : r);
}
function search(re) {
	var all = frames.children, hits = [], i;
	for (i = 0; i < all.length; i++) {
		var g = all[i], r = g.querySelector('rect');
		if (g.hasAttribute('data-fill')) {
			r.setAttribute('fill', g.getAttribute('data-fill'));
			g.removeAttribute('data-fill');
			g.classList.remove('hit');
		}
	}
	if (re === null || re === undefined) {
		term = null;
		matched.classList.add('hide');
		searchBtn.textContent = 'Search';
		return null;
	}
	var rx;
	try { rx = new RegExp(re); } catch (e) {
		rx = new RegExp(re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
	}
	for (i = 0; i < all.length; i++) {
		var f = all[i];
		if (!f.hasAttribute('data-n') && rx.test(nameOf(f))) {
			var rect = f.querySelector('rect');
			f.setAttribute('data-fill', rect.getAttribute('fill'));
			rect.setAttribute('fill', 'rgb(230,0,230)');
			f.classList.add('hit');
			hits.push(f);
		}
	}
	/* a match inside another match (recursion) is counted once */
	hits.sort(function (a, b) {
		return num(a, 'data-s') - num(b, 'data-s') || num(a, 'data-d') - num(b, 'data-d');
	});
	var end = -1, sum = 0;
	for (i = 0; i < hits.length; i++) {
		var s = num(hits[i], 'data-s');
		if (s >= end) {
			sum += num(hits[i], 'data-v');
			end = s + num(hits[i], 'data-v');
		}
	}
	term = re;
	var share = total ? sum / total : 0;
	matched.textContent = 'Matched: ' + fmt(sum) + ' (' + (100 * share).toFixed(2) + '%)';
	matched.classList.remove('hide');
	searchBtn.textContent = 'Reset Search';
	return { frames: hits.length, value: sum, share: share };
}
