// SPDX-License-Identifier: GPL-2.0-or-later
// A JIT test target: a plain HTTP server whose handler, keepRequest, keeps a
// Buffer per request (node's C++ Buffer binding, reached from JIT code through
// V8's builtins, mallocs it). "node http_buffer.js" serves on a free loopback
// port and prints "ready PORT"; "node http_buffer.js client PORT SECONDS" sends
// requests to it, ten at a time, for that long, then exits.
'use strict';
const http = require('http');

if (process.argv[2] === 'client') {
	const port = Number(process.argv[3]);
	const end = Date.now() + 1000 * Number(process.argv[4]);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
	const one = () => {
		if (Date.now() >= end)
			return;
		http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
			res.resume();
			res.on('end', one);
		}).on('error', () => setTimeout(one, 10));
	};
	for (let i = 0; i < 10; i++)
		one();
	setTimeout(() => agent.destroy(), end - Date.now() + 500);
} else {
	const kept = [];
	function keepRequest(req, res) {
		kept.push(Buffer.alloc(1024, 1));
		if (kept.length > 100000)
			kept.length = 0;
		res.end('ok ' + kept.length + '\n');
	}
	const server = http.createServer(keepRequest);
	server.listen(0, '127.0.0.1', () => console.log('ready ' + server.address().port));
}
