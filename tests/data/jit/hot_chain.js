// SPDX-License-Identifier: GPL-2.0-or-later
// A JIT test target: hotA -> hotB -> hotC, compiled by V8, allocate and burn CPU
// in a loop on the main thread. Run with --no-turbo-inlining so that each keeps
// a frame of its own. Prints "ready" once the functions are hot.
'use strict';

function hotC(n) {
	const a = [];
	let s = 0;
	for (let i = 0; i < n; i++) {
		a.push({ i, v: i * 2 });
		s += Math.sqrt(i) * (a.length & 7);
	}
	return s;
}

function hotB(n) {
	return hotC(n) + hotC(n >> 1);
}

function hotA(n) {
	return hotB(n) * 0.5;
}

let total = 0;
for (let i = 0; i < 300; i++)
	total += hotA(1000);
console.log('ready');
for (;;)
	total += hotA(1000 + (total & 1));
