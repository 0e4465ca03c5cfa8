// Solves this site's ALTCHA proof-of-work challenge (see townsquare/core/altcha.py): finds the
// number n, 0 <= n <= maxnumber, whose SHA-256(salt + n) is the challenge. Self-hosted, no
// third-party code. Uses crypto.subtle where the page is a secure context (https, localhost),
// else the small SHA-256 below.
"use strict";

function hex(bytes) {
  var out = "";
  for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
  return out;
}

var K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
];

function sha256(data) {  // data: Uint8Array -> Uint8Array(32)
  var length = data.length, blocks = ((length + 9 + 63) >> 6) << 6;
  var bytes = new Uint8Array(blocks);
  bytes.set(data);
  bytes[length] = 0x80;
  var bits = length * 8;
  bytes[blocks - 4] = bits >>> 24; bytes[blocks - 3] = bits >>> 16;
  bytes[blocks - 2] = bits >>> 8; bytes[blocks - 1] = bits;
  var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  var w = new Int32Array(64);
  for (var offset = 0; offset < blocks; offset += 64) {
    for (var i = 0; i < 16; i++) {
      var j = offset + i * 4;
      w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (i = 16; i < 64; i++) {
      var a = w[i - 15], b = w[i - 2];
      var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    var v = h.slice();
    for (i = 0; i < 64; i++) {
      var e = v[4], x = v[0];
      var t1 = (v[7] + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
                ((e & v[5]) ^ (~e & v[6])) + K[i] + w[i]) | 0;
      var t2 = ((((x >>> 2) | (x << 30)) ^ ((x >>> 13) | (x << 19)) ^ ((x >>> 22) | (x << 10))) +
                ((x & v[1]) ^ (x & v[2]) ^ (v[1] & v[2]))) | 0;
      v = [(t1 + t2) | 0, v[0], v[1], v[2], (v[3] + t1) | 0, v[4], v[5], v[6]];
    }
    for (i = 0; i < 8; i++) h[i] = (h[i] + v[i]) | 0;
  }
  var out = new Uint8Array(32);
  for (i = 0; i < 8; i++) {
    out[i * 4] = h[i] >>> 24; out[i * 4 + 1] = h[i] >>> 16; out[i * 4 + 2] = h[i] >>> 8; out[i * 4 + 3] = h[i];
  }
  return out;
}

async function solve(challenge) {
  var encoder = new TextEncoder();
  var subtle = self.crypto && self.crypto.subtle;
  var max = Math.min(Number(challenge.maxnumber) || 0, 10000000);
  for (var n = 0; n <= max; n++) {
    var data = encoder.encode(challenge.salt + n);
    var digest = subtle ? new Uint8Array(await subtle.digest("SHA-256", data)) : sha256(data);
    if (hex(digest) === challenge.challenge) return n;
  }
  return null;
}

self.onmessage = function (event) {
  var started = Date.now();
  solve(event.data).then(function (number) {
    self.postMessage({ number: number, took: Date.now() - started });
  }, function () {
    self.postMessage({ number: null });
  });
};
