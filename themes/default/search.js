// scrollback search client: no framework, no build step, no WebAssembly.
//
// Reads the static export under search/ (format in docs/search-format.md) and ranks exactly
// like `scrollback search`: same tokenizer, same query language, same BM25 arithmetic (f32,
// as tantivy computes it). The engine is exposed as window.scrollback.search(query, {limit})
// and resolves to {total, hits: [{id, url, channel, author, time, snippet, score}]}, the
// shape of `scrollback search --json`. In Node the same file exports the engine for tests.
(function (root) {
  "use strict";

  // ------------------------------------------------------------------ tokenizer
  // Mirrors src/index/tokenize.rs rule for rule.
  var MAX_TOKEN_BYTES = 64;
  var JOINERS = "-._";
  var WORD_RE = /[\p{Alphabetic}\p{N}]+/gu;
  var NUMERIC_RE = /^\p{N}$/u;
  var MARKS_RE = /\p{M}/gu;
  var encoder = new TextEncoder();
  var KIND_ORDER = { word: 0, part: 1, identifier: 2 };

  function normalize(word) {
    var lower = "";
    for (var ch of word) lower += ch.toLowerCase(); // per code point, like tantivy's LowerCaser
    return lower.normalize("NFD").replace(MARKS_RE, "");
  }

  function push(out, raw, position, from, to, kind) {
    var text = normalize(raw);
    if (text.length > 0 && encoder.encode(text).length < MAX_TOKEN_BYTES) {
      out.push({ text: text, position: position, from: from, to: to, kind: kind });
    }
  }

  function pushHalves(word, position, offset, out) {
    var chars = Array.from(word);
    var at = -1, changes = 0, index = 0;
    for (var i = 0; i + 1 < chars.length; i++) {
      index += chars[i].length;
      if (NUMERIC_RE.test(chars[i]) !== NUMERIC_RE.test(chars[i + 1])) {
        changes++;
        at = index;
      }
    }
    if (changes === 1) {
      push(out, word.slice(0, at), position, offset, offset + at, "part");
      push(out, word.slice(at), position, offset + at, offset + word.length, "part");
    }
  }

  function pushIdentifiers(text, run, out) {
    if (run.length < 2) return;
    var end = run[run.length - 1][1];
    for (var i = run.length - 2; i >= 0; i--) {
      push(out, text.slice(run[i][0], end), run[i][2], run[i][0], end, "identifier");
    }
  }

  // Offsets are UTF-16 indices (the Rust side uses bytes).
  function tokenize(text) {
    var out = [];
    var run = [];
    var position = 0;
    var match;
    WORD_RE.lastIndex = 0;
    while ((match = WORD_RE.exec(text)) !== null) {
      var start = match.index, end = start + match[0].length;
      var previous = run.length ? run[run.length - 1] : null;
      var gap = previous ? text.slice(previous[1], start) : "";
      var joined = previous !== null && Array.from(gap).length === 1 && JOINERS.indexOf(gap) >= 0;
      if (!joined) {
        pushIdentifiers(text, run, out);
        run = [];
      }
      push(out, match[0], position, start, end, "word");
      pushHalves(match[0], position, start, out);
      run.push([start, end, position]);
      position++;
    }
    pushIdentifiers(text, run, out);
    // Stable sort: identifiers after the word at their position.
    return out
      .map(function (t, i) { return [t, i]; })
      .sort(function (a, b) {
        return a[0].position - b[0].position || KIND_ORDER[a[0].kind] - KIND_ORDER[b[0].kind] || a[1] - b[1];
      })
      .map(function (p) { return p[0]; });
  }

  // ------------------------------------------------------------------ query language
  // Mirrors src/index/query.rs.
  function isSpace(ch) { return /\s/u.test(ch); }

  function lex(input) {
    var items = [];
    var chars = Array.from(input);
    var i = 0;
    while (i < chars.length) {
      if (isSpace(chars[i])) { i++; continue; }
      var negated = false;
      if (chars[i] === "-") {
        i++;
        negated = i < chars.length && !isSpace(chars[i]);
        if (!negated) continue;
      }
      var text = "", quoted = false;
      if (chars[i] === '"') {
        i++;
        quoted = true;
        while (i < chars.length && chars[i] !== '"') text += chars[i++];
        i++;
      } else {
        while (i < chars.length && !isSpace(chars[i])) {
          var ch = chars[i++];
          if (ch === '"' && text.endsWith(":")) {
            while (i < chars.length && chars[i] !== '"') text += chars[i++];
            i++;
            break;
          }
          text += ch;
        }
      }
      items.push({ text: text, quoted: quoted, negated: negated });
    }
    return items;
  }

  function parseDate(value) {
    var m = /^(\d+)-(\d+)(?:-(\d+))?$/.exec(value);
    if (!m) return null;
    var y = +m[1], mo = +m[2], d = m[3] === undefined ? 1 : +m[3];
    if (mo < 1 || mo > 12 || d < 1) return null;
    var days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (d > days || y < -9999 || y > 9999) return null;
    return { y: y, m: mo, d: d };
  }

  function applyFilter(q, key, value, negated) {
    if (negated) return false;
    var date;
    switch (key.toLowerCase()) {
      case "channel": case "in": q.channels.push(value.replace(/^#+/, "").toLowerCase()); return true;
      case "from": q.from.push(normalize(value.replace(/^@+/, ""))); return true;
      case "has": q.has.push(value.toLowerCase()); return true;
      case "is": case "incident": q.is.push(value.toLowerCase()); return true;
      case "after": if ((date = parseDate(value))) { q.after = date; return true; } return false;
      case "before": if ((date = parseDate(value))) { q.before = date; return true; } return false;
      case "on": if ((date = parseDate(value))) { q.on = date; return true; } return false;
      case "sort":
        switch (value.toLowerCase()) {
          case "newest": case "new": case "recent": q.sort = "newest"; return true;
          case "oldest": case "old": q.sort = "oldest"; return true;
          case "relevance": case "score": q.sort = "relevance"; return true;
        }
        return false;
    }
    return false;
  }

  function words(text) {
    return tokenize(text).filter(function (t) { return t.kind === "word"; });
  }

  function phraseClause(text) {
    var w = words(text).map(function (t) { return t.text; });
    if (w.length === 0) return null;
    return w.length === 1 ? { term: w[0] } : { phrase: w };
  }

  function wordClause(word) {
    if (word.length > 1 && word.endsWith("*")) {
      var stem = word.slice(0, -1);
      var only = words(stem);
      if (only.length === 1) return { prefix: only[0].text };
      return phraseClause(stem);
    }
    var tokens = tokenize(word);
    var w = tokens.filter(function (t) { return t.kind === "word"; });
    if (w.length === 0) return null;
    if (w.length === 1) return { term: w[0].text };
    var first = w[0], last = w[w.length - 1];
    var whole = tokens.find(function (t) { return t.kind === "identifier" && t.from === first.from && t.to === last.to; });
    var parts = w.map(function (t) { return t.text; });
    return whole ? { identifier: whole.text, parts: parts } : { phrase: parts };
  }

  function parse(input, prefixLast) {
    var q = { required: [], excluded: [], channels: [], from: [], after: null, before: null, on: null, has: [], is: [], sort: "relevance" };
    var lastBare = -1;
    lex(input).forEach(function (item) {
      lastBare = -1;
      if (!item.quoted) {
        var colon = item.text.indexOf(":");
        if (colon >= 0 && colon < item.text.length - 1) {
          if (applyFilter(q, item.text.slice(0, colon), item.text.slice(colon + 1), item.negated)) return;
        }
      }
      var clause = item.quoted ? phraseClause(item.text) : wordClause(item.text);
      if (!clause) return;
      if (item.negated) {
        q.excluded.push(clause);
      } else {
        if (!item.quoted && clause.term !== undefined) lastBare = q.required.length;
        q.required.push(clause);
      }
    });
    if (prefixLast && !/\s$/u.test(input) && lastBare >= 0) {
      q.required[lastBare] = { prefix: q.required[lastBare].term };
    }
    return q;
  }

  function isEmptyQuery(q) {
    return !q.required.length && !q.channels.length && !q.from.length && !q.after && !q.before && !q.on && !q.has.length && !q.is.length;
  }

  // ------------------------------------------------------------------ BM25, as tantivy
  var f = Math.fround;
  var K1 = f(1.2), B = f(0.75);

  function Bm25(docs, tokens, fieldnorms) {
    this.docs = docs;
    var average = f(f(tokens) / f(docs));
    this.cache = fieldnorms.map(function (norm) {
      return f(K1 * f(f(f(1) - B) + f(f(B * f(norm)) / average)));
    });
  }
  Bm25.prototype.weight = function (df) {
    var x = f(f(f(this.docs - df) + f(0.5)) / f(f(df) + f(0.5)));
    var idf = f(Math.log(f(f(1) + x)));
    return f(idf * f(f(1) + K1));
  };
  Bm25.prototype.score = function (weight, tf, norm) {
    var t = f(tf);
    return f(weight * f(t / f(t + this.cache[norm])));
  };

  // ------------------------------------------------------------------ binary reading
  function Reader(bytes, at) { this.b = bytes; this.at = at || 0; }
  Reader.prototype.varint = function () {
    var value = 0, scale = 1, byte;
    do {
      byte = this.b[this.at++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80);
    return value;
  };
  Reader.prototype.postings = function (n) {
    var out = new Array(n), doc = 0;
    for (var i = 0; i < n; i++) {
      doc += this.varint();
      var tf = this.varint();
      out[i] = { doc: doc, tf: tf, norm: this.b[this.at++] };
    }
    return out;
  };

  var decoder = new TextDecoder();

  function decodeShard(bytes) {
    if (decoder.decode(bytes.subarray(0, 4)) !== "SBT1") throw new Error("not a scrollback dictionary shard");
    var r = new Reader(bytes, 4);
    var count = r.varint();
    var previous = new Uint8Array(0);
    var entries = new Map();
    for (var i = 0; i < count; i++) {
      var shared = r.varint(), len = r.varint();
      var term = new Uint8Array(shared + len);
      term.set(previous.subarray(0, shared));
      term.set(bytes.subarray(r.at, r.at + len), shared);
      r.at += len;
      previous = term;
      var entry = { term: decoder.decode(term), df: r.varint(), blocks: [], inline: null };
      var nblocks = r.varint();
      for (var b = 0; b < nblocks; b++) {
        var block = { len: r.varint(), best: [] };
        for (var pairs = r.varint(); pairs > 0; pairs--) block.best.push([r.varint(), r.b[r.at++]]);
        if (b === 0) {
          entry.inline = r.postings(block.len);
        } else {
          block.file = r.varint();
          block.offset = r.varint();
          block.length = r.varint();
        }
        entry.blocks.push(block);
      }
      entries.set(entry.term, entry);
    }
    return entries;
  }

  // UTF-8 byte order, the order of the dictionary.
  function compareBytes(a, b) {
    var x = encoder.encode(a), y = encoder.encode(b);
    var n = Math.min(x.length, y.length);
    for (var i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }

  // ------------------------------------------------------------------ the engine
  // A posting list this long or shorter is read whole (about 14 KB); longer lists are
  // streamed best block first, or checked against candidates' text.
  var FULL_POSTINGS = 4096;
  // Posting files of each long list fetched up front in an AND of long lists (one more for
  // the longest): a block may end one file and the next begin another.
  var AHEAD_FILES = 2;
  // Proving the top hits of an AND of long lists whose scores barely differ (or that an
  // intersection is empty) can need most of both lists. Past this many bytes for one query
  // the client stops and says so (approximate: true); `scrollback search` stays exact.
  var BUDGET = 256 * 1024;
  var EMPTY = function () { return { total: 0, hits: [] }; };

  function Engine(fetchBytes, options) {
    var self = this;
    this.spent = 0;
    this.fetchBytes = function (p) {
      return fetchBytes(p).then(function (b) { self.spent += b.length; return b; });
    };
    this.fullPostings = (options && options.fullPostings) || FULL_POSTINGS;
    // Bytes a query may fetch while refining its ranking (see `budget` in search()).
    this.budget = (options && options.budget) || BUDGET;
    this.manifest = null;
    this.shards = new Map();
    this.files = new Map();
    this.chunks = new Map();
  }

  Engine.prototype.init = function () {
    var self = this;
    if (!this.ready) {
      this.ready = this.fetchBytes("manifest.json").then(function (bytes) {
        var m = JSON.parse(decoder.decode(bytes));
        if (m.format !== 3) throw new Error("unsupported search format " + m.format);
        self.manifest = m;
        self.bm25 = new Bm25(m.docs, m.tokens, m.fieldnorms);
      });
    }
    return this.ready;
  };

  // The shard of a segment's dictionary that would hold `term` (-1 if none).
  function shardIndex(segment, term) {
    var first = segment.terms.first;
    var lo = 0, hi = first.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (compareBytes(first[mid], term) <= 0) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  Engine.prototype.shard = function (segment, i) {
    var path = segment.terms.dir + i + ".bin";
    if (!this.shards.has(path)) this.shards.set(path, this.fetchBytes(path).then(decodeShard));
    return this.shards.get(path);
  };

  // A term's entries in each segment made one: document frequencies add up, the first
  // blocks of all segments are one inline block, and the other blocks follow best first by
  // their bound under the whole index's statistics (the best of their (tf, norm) pairs).
  Engine.prototype.merge = function (parts) {
    var self = this;
    var df = parts.reduce(function (n, p) { return n + p.entry.df; }, 0);
    var weight = this.bm25.weight(df);
    var bound = function (block) {
      return block.best.reduce(function (m, pair) { return Math.max(m, self.bm25.score(weight, pair[0], pair[1])); }, 0);
    };
    var inline = [], rest = [], best = 0;
    parts.forEach(function (part) {
      inline = inline.concat(part.entry.inline);
      part.entry.blocks.forEach(function (block, i) {
        var max = bound(block);
        best = Math.max(best, max);
        var dir = part.segment.postings.dir;
        if (i > 0) rest.push({ len: block.len, max: max, dir: dir, path: dir + block.file + ".bin", offset: block.offset });
      });
    });
    // Stable: equal bounds keep segment order, then block order.
    rest.sort(function (a, b) { return b.max - a.max; });
    return { term: parts[0].entry.term, df: df, inline: inline, blocks: [{ len: inline.length, max: best }].concat(rest) };
  };

  Engine.prototype.entry = async function (term) {
    var self = this;
    var found = await Promise.all(this.manifest.segments.map(function (segment) {
      var i = shardIndex(segment, term);
      if (i < 0) return null;
      return self.shard(segment, i).then(function (entries) {
        var entry = entries.get(term);
        return entry ? { segment: segment, entry: entry } : null;
      });
    }));
    var parts = found.filter(function (p) { return p; });
    return parts.length ? this.merge(parts) : null;
  };

  // A segment's terms starting with `prefix`, in byte order, up to `limit` accepted by `keep`.
  Engine.prototype.segmentTerms = async function (segment, prefix, limit, keep) {
    var found = [];
    var i = Math.max(0, shardIndex(segment, prefix));
    for (; i < segment.terms.first.length && found.length < limit; i++) {
      var entries = await this.shard(segment, i);
      for (var e of entries.values()) {
        if (found.length >= limit) break;
        if (compareBytes(e.term, prefix) < 0) continue;
        if (!e.term.startsWith(prefix)) return found;
        if (keep(e.term)) found.push({ segment: segment, entry: e });
      }
    }
    return found;
  };

  // Terms starting with `prefix`, in byte order, up to `limit` accepted by `keep`. The
  // first `limit` of the whole index are among the first `limit` of each segment that
  // holds them, so each segment is scanned as far and the union cut again.
  Engine.prototype.termsWithPrefix = async function (prefix, limit, keep) {
    var self = this;
    var scans = await Promise.all(this.manifest.segments.map(function (segment) {
      return self.segmentTerms(segment, prefix, limit, keep);
    }));
    var byTerm = new Map();
    scans.forEach(function (scan) {
      scan.forEach(function (part) {
        if (!byTerm.has(part.entry.term)) byTerm.set(part.entry.term, []);
        byTerm.get(part.entry.term).push(part);
      });
    });
    var terms = Array.from(byTerm.keys()).sort(compareBytes).slice(0, limit);
    return terms.map(function (t) { return self.merge(byTerm.get(t)); });
  };

  Engine.prototype.resolve = async function (clause) {
    var limits = this.manifest.limits;
    if (clause.term !== undefined) return { scored: [clause.term], anyOf: [clause.term] };
    if (clause.phrase) return { scored: clause.phrase, all: clause.phrase, phrase: clause.phrase };
    if (clause.identifier !== undefined) {
      var whole = clause.identifier;
      var ids = await this.termsWithPrefix(whole, limits.identifier_terms, function (t) {
        return t.length === whole.length || JOINERS.indexOf(t[whole.length]) >= 0;
      });
      if (!ids.length) return null;
      var terms = ids.map(function (e) { return e.term; });
      // Scored as the identifier itself, like src/index/mod.rs.
      return { scored: terms, anyOf: terms, identifier: true };
    }
    var found = await this.termsWithPrefix(clause.prefix, limits.prefix_scan, function () { return true; });
    found.sort(function (a, b) { return b.df - a.df || compareBytes(a.term, b.term); });
    var expansions = found.slice(0, limits.expansions).map(function (e) { return e.term; });
    if (!expansions.length) return null;
    return { scored: expansions, anyOf: expansions, optionalScores: true };
  };

  // The posting file at `path`, fetched once.
  Engine.prototype.postingFile = function (path) {
    if (!this.files.has(path)) this.files.set(path, this.fetchBytes(path));
    return this.files.get(path);
  };

  Engine.prototype.block = async function (entry, i) {
    if (i === 0) return entry.inline;
    var b = entry.blocks[i];
    var file = await this.postingFile(b.path);
    return new Reader(file, b.offset).postings(b.len);
  };

  Engine.prototype.allPostings = async function (entry) {
    var self = this;
    var blocks = await Promise.all(entry.blocks.map(function (_, i) { return self.block(entry, i); }));
    return [].concat.apply([], blocks);
  };

  Engine.prototype.record = async function (ord) {
    var docs = this.manifest.documents;
    var n = Math.floor(ord / docs.per_file);
    if (!this.chunks.has(n)) {
      var dir = "d-" + docs.dirs[Math.floor(n / docs.per_dir)] + "/";
      this.chunks.set(n, this.fetchBytes(dir + n + ".bin").then(function (b) { return JSON.parse(decoder.decode(b)); }));
    }
    var chunk = await this.chunks.get(n);
    return chunk[ord - n * docs.per_file];
  };

  // Start of a day in the index's zone, in epoch seconds.
  function dayStart(date, zone) {
    var guess = Date.UTC(date.y, date.m - 1, date.d);
    var offset = 0;
    for (var i = 0; i < 3; i++) {
      var parts = {};
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit"
      }).formatToParts(new Date(guess - offset)).forEach(function (p) { parts[p.type] = p.value; });
      var local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
      offset = local - (guess - offset);
    }
    return Math.floor((guess - offset) / 1000);
  }

  function nextDay(d) {
    var t = new Date(Date.UTC(d.y, d.m - 1, d.d + 1));
    return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
  }

  function timeRange(q, zone) {
    var lo = q.after ? dayStart(nextDay(q.after), zone) : null;
    var hi = q.before ? dayStart(q.before, zone) : null;
    if (q.on) {
      var s = dayStart(q.on, zone), e = dayStart(nextDay(q.on), zone);
      lo = lo === null ? s : Math.max(lo, s);
      hi = hi === null ? e : Math.min(hi, e);
    }
    return lo === null && hi === null ? null : { lo: lo, hi: hi };
  }

  // Token facts of a document's text, for exact scoring and checks.
  function analyze(text) {
    var tokens = tokenize(text);
    var tf = new Map(), at = new Map();
    tokens.forEach(function (t) {
      tf.set(t.text, (tf.get(t.text) || 0) + 1);
      if (!at.has(t.position)) at.set(t.position, new Set());
      at.get(t.position).add(t.text);
    });
    return { tf: tf, at: at };
  }

  function hasPhrase(facts, terms) {
    for (var entry of facts.at) {
      var p = entry[0], ok = true;
      for (var i = 0; i < terms.length && ok; i++) {
        var set = facts.at.get(p + i);
        ok = !!set && set.has(terms[i]);
      }
      if (ok) return true;
    }
    return false;
  }

  function unitMatches(unit, facts) {
    if (unit.phrase) return hasPhrase(facts, unit.phrase);
    if (unit.all) return unit.all.every(function (t) { return facts.tf.has(t); });
    return unit.anyOf.some(function (t) { return facts.tf.has(t); });
  }

  Engine.prototype.search = async function (input, options) {
    options = options || {};
    var limit = Math.max(1, options.limit || 10);
    await this.init();
    var m = this.manifest, self = this;
    var q = parse(String(input), !!options.prefix);
    var sort = options.sort || q.sort;
    if (isEmptyQuery(q) || m.docs === 0) return EMPTY();
    var spentBefore = this.spent;
    var approximate = false;
    var CHUNK_BYTES = 80 * m.documents.per_file; // about one gzipped document file (80 bytes a record)

    // Resolve text clauses against the dictionary.
    var units = [];
    for (var c of q.required) {
      var u = await this.resolve(c);
      if (!u) return EMPTY();
      units.push(u);
    }
    var excluded = [];
    for (var x of q.excluded) {
      var ex = await this.resolve(x);
      if (ex) excluded.push(ex);
    }

    // Requirements checkable with postings: each is "one of these terms".
    var reqs = [];
    units.forEach(function (u) {
      if (u.all) u.all.forEach(function (t) { reqs.push([t]); });
      else reqs.push(u.anyOf);
    });
    if (q.channels.length) reqs.push(q.channels.map(function (ch) { return "channel:" + ch; }));
    if (q.from.length) reqs.push(q.from.map(function (v) { return "from:" + v; }));
    q.has.forEach(function (h) { reqs.push(["has:" + h]); });
    q.is.forEach(function (v) { reqs.push(["is:" + v]); });
    var range = timeRange(q, m.timezone);
    var needsText = excluded.length > 0 || units.some(function (un) { return !!un.phrase; });

    // Dictionary entries for every term involved.
    var scored = [];
    units.forEach(function (un) { un.scored.forEach(function (t) { scored.push(t); }); });
    var wanted = new Set(scored);
    reqs.forEach(function (r) { r.forEach(function (t) { wanted.add(t); }); });
    var entries = new Map();
    await Promise.all(Array.from(wanted).map(function (t) {
      return self.entry(t).then(function (e) { if (e) entries.set(t, e); });
    }));
    var dfOf = function (r) { return r.reduce(function (n, t) { return n + (entries.has(t) ? entries.get(t).df : 0); }, 0); };
    var reqDf = reqs.map(dfOf);
    if (reqDf.some(function (n) { return n === 0; })) return EMPTY();

    // Lists: short ones are read whole; long single terms are read best block first (the
    // first block came with the dictionary entry), in the threshold algorithm below.
    var lists = new Map();
    wanted.forEach(function (t) {
      if (entries.has(t)) lists.set(t, { entry: entries.get(t), known: new Map(), next: 0, complete: false });
    });
    var take = function (t, postings) {
      var l = lists.get(t);
      postings.forEach(function (p) { l.known.set(p.doc, p); });
      l.next++;
      l.complete = l.next >= l.entry.blocks.length;
    };
    var readAll = async function (t) {
      var l = lists.get(t);
      if (!l || l.complete) return;
      var blocks = await Promise.all(l.entry.blocks.slice(l.next).map(function (_, i) { return self.block(l.entry, l.next + i); }));
      blocks.forEach(function (b) { take(t, b); });
    };
    var readNext = async function (t) { take(t, await self.block(lists.get(t).entry, lists.get(t).next)); };
    var frontier = function (t) {
      var l = lists.get(t);
      return !l || l.complete ? 0 : l.entry.blocks[l.next].max;
    };
    var timeOrder = sort !== "relevance";
    var full = [];
    reqs.forEach(function (r, i) {
      if (timeOrder || reqDf[i] <= self.fullPostings || r.length > 1) r.forEach(function (t) { full.push(t); });
    });
    scored.forEach(function (t) { if (entries.has(t) && entries.get(t).df <= self.fullPostings) full.push(t); });
    lists.forEach(function (l, t) { if (full.indexOf(t) < 0) take(t, l.entry.inline); });
    await Promise.all(full.map(readAll));
    var big = Array.from(lists.keys()).filter(function (t) { return !lists.get(t).complete; });
    // Several long lists will have to be read further: start fetching their next blocks now,
    // in parallel, rather than one round trip after another.
    if (big.length > 1 && !timeOrder) {
      // Each list's next files: the first `files` in the segment of its next block, and its
      // next block's in every other segment (the segments' blocks interleave by bound).
      var ahead = function (t, files) {
        var unread = lists.get(t).entry.blocks.slice(lists.get(t).next);
        var mine = new Set(), dirs = new Set();
        unread.forEach(function (b) {
          if (b.dir === unread[0].dir ? mine.size < files || mine.has(b.path) : !dirs.has(b.dir)) self.postingFile(b.path);
          if (b.dir === unread[0].dir) mine.add(b.path);
          dirs.add(b.dir);
        });
      };
      // The candidates come from the best blocks of the rarer lists; whether they are in the
      // longest list is told by its deeper blocks, so it is read a file further.
      var longest = big.reduce(function (a, b) { return lists.get(b).entry.df > lists.get(a).entry.df ? b : a; });
      big.forEach(function (t) { ahead(t, t === longest ? AHEAD_FILES + 1 : AHEAD_FILES); });
    }

    // The rarest requirement drives: a document must be in its list.
    var driver = -1;
    reqs.forEach(function (r, i) { if (driver < 0 || reqDf[i] < reqDf[driver]) driver = i; });
    var driverComplete = driver >= 0 && reqs[driver].every(function (t) { return lists.get(t).complete; });
    var candidates = new Map();
    var decided = new Set(); // ranked or ruled out: never a candidate again
    var addFrom = function (t) {
      lists.get(t).known.forEach(function (_, d) { if (!candidates.has(d) && !decided.has(d)) candidates.set(d, { doc: d }); });
    };
    if (driver < 0) {
      for (var d = 0; d < m.docs; d++) candidates.set(d, { doc: d }); // only a date filter
    } else if (driverComplete) {
      reqs[driver].forEach(addFrom);
    } else {
      reqs.forEach(function (r) { r.forEach(function (t) { if (!lists.get(t).complete) addFrom(t); }); });
    }

    var weights = new Map();
    scored.forEach(function (t) { if (entries.has(t)) weights.set(t, self.bm25.weight(entries.get(t).df)); });
    var tfOf = function (t, doc) {
      var l = lists.get(t);
      if (!l) return 0;
      var p = l.known.get(doc);
      if (p) return p.tf;
      return l.complete ? 0 : undefined;
    };
    var normOf = function (doc) {
      for (var l of lists.values()) { var p = l.known.get(doc); if (p && p.norm !== undefined && l.entry.blocks[0].max > 0) return p.norm; }
      return undefined;
    };
    // What the postings say about a candidate: out, or a score (exact or an upper bound).
    var evaluate = function (cand) {
      var confirmed = true;
      for (var i = 0; i < reqs.length; i++) {
        var any = false, open = false;
        reqs[i].forEach(function (t) { var tf = tfOf(t, cand.doc); if (tf > 0) any = true; else if (tf === undefined) open = true; });
        if (!any && !open) return { out: true };
        if (!any) confirmed = false;
      }
      var norm = cand.norm !== undefined ? cand.norm : normOf(cand.doc);
      var score = f(0), bound = f(0), unknown = false;
      scored.forEach(function (t) {
        var tf = tfOf(t, cand.doc);
        if (tf === undefined) { unknown = true; bound = f(bound + frontier(t)); return; }
        if (tf > 0 && norm === undefined) { unknown = true; bound = f(bound + lists.get(t).entry.blocks[0].max); return; }
        if (tf > 0) score = f(score + self.bm25.score(weights.get(t), tf, norm));
      });
      return { out: false, score: score, ub: f(score + bound), certain: !unknown && confirmed && !needsText && !range };
    };
    var filterMatches = function (term, rec) {
      var colon = term.indexOf(":"), key = term.slice(0, colon), value = term.slice(colon + 1);
      if (key === "channel") return m.channels[rec.c] === value;
      if (key === "from") return (rec.f || []).indexOf(value) >= 0;
      if (key === "has") return (rec.h || []).indexOf(value) >= 0;
      if (key === "is") return (rec.i || []).indexOf(value) >= 0;
      return false;
    };
    // Exact check and score from the document's own text.
    var verify = async function (cand) {
      var rec = await self.record(cand.doc);
      cand.record = rec;
      cand.norm = rec.n;
      if (range && ((range.lo !== null && rec.t < range.lo) || (range.hi !== null && rec.t >= range.hi))) return null;
      var facts = null;
      var text = function () { return facts || (facts = analyze(rec.x)); };
      var tf = function (t) { var k = tfOf(t, cand.doc); return k !== undefined ? k : (t.indexOf(":") >= 0 ? (filterMatches(t, rec) ? 1 : 0) : text().tf.get(t) || 0); };
      if (!reqs.every(function (r) { return r.some(function (t) { return tf(t) > 0; }); })) return null;
      for (var un of units) if (un.phrase && !hasPhrase(text(), un.phrase)) return null;
      for (var e of excluded) if (unitMatches(e, text())) return null;
      var score = f(0);
      scored.forEach(function (t) { var n = tf(t); if (n > 0) score = f(score + self.bm25.score(weights.get(t), n, rec.n)); });
      return score;
    };

    var byScore = function (a, b) { return b.score - a.score || a.doc - b.doc; };
    var top = [], matched = 0, pending = 0, results;
    if (!timeOrder) {
      for (;;) {
        var uncertain = [];
        candidates.forEach(function (cand, doc) {
          var e = evaluate(cand);
          if (e.out) { candidates.delete(doc); decided.add(doc); return; }
          cand.score = e.score;
          cand.ub = e.ub;
          if (e.certain) { candidates.delete(doc); decided.add(doc); matched++; top.push(cand); } else uncertain.push(cand);
        });
        top.sort(byScore);
        var kth = top.length >= limit ? top[limit - 1].score : -Infinity;
        // A document not seen in any list yet scores at most the sum of the frontiers.
        var unseen = driverComplete ? -Infinity : scored.reduce(function (s, t) { return f(s + frontier(t)); }, f(0));
        if (!driverComplete && big.every(function (t) { return lists.get(t).complete; })) unseen = -Infinity;
        uncertain.sort(function (a, b) { return b.ub - a.ub || a.doc - b.doc; });
        var hot = uncertain.filter(function (cand) { return top.length < limit || cand.ub > kth; });
        pending = uncertain.length;
        if (!hot.length && (top.length >= limit ? unseen <= kth : unseen === -Infinity)) break;
        var readable = big.filter(function (t) { return !lists.get(t).complete; });
        var over = function (cost) { return self.spent - spentBefore + cost > self.budget; };
        // Blocks in posting files already fetched cost nothing: read them first.
        var free = readable.filter(function (t) { return self.files.has(lists.get(t).entry.blocks[lists.get(t).next].path); });
        if (free.length) {
          for (var ft of free) {
            await readNext(ft);
            if (!driverComplete && reqs.some(function (r) { return r.indexOf(ft) >= 0; })) addFrom(ft);
          }
        } else if (hot.length && (hot.length <= 2 * limit || !readable.length)) {
          // Few candidates left in doubt: their records settle them in one round trip, where
          // a block of a long list might settle none. The leaders' records (needed for the
          // hits anyway) come in the same round.
          var batch = hot.slice(0, 2 * limit);
          var leaders = top.slice(0, limit).map(function (cand) { return cand.doc; });
          var docs = batch.map(function (cand) { return cand.doc; }).concat(leaders);
          var fresh = new Set(docs.map(function (doc) { return Math.floor(doc / m.documents.per_file); }));
          fresh.forEach(function (n) { if (self.chunks.has(n)) fresh.delete(n); });
          if (over(fresh.size * CHUNK_BYTES)) { approximate = true; break; }
          var settled = await Promise.all([
            Promise.all(batch.map(verify)),
            Promise.all(leaders.map(function (doc) { return self.record(doc); }))
          ]);
          var scores = settled[0];
          batch.forEach(function (cand, i) {
            candidates.delete(cand.doc);
            decided.add(cand.doc);
            if (scores[i] === null) return;
            cand.score = scores[i];
            matched++;
            top.push(cand);
          });
        } else if (readable.length) {
          // Many in doubt: read the next block of the list that leaves the most of them in
          // doubt (then the one with the best unread score, which bounds unseen documents).
          var doubts = new Map(readable.map(function (t) {
            return [t, hot.filter(function (cand) { return tfOf(t, cand.doc) === undefined; }).length];
          }));
          readable.sort(function (a, b) { return doubts.get(b) - doubts.get(a) || frontier(b) - frontier(a); });
          var t = readable[0];
          if (over(lists.get(t).entry.blocks[lists.get(t).next].length)) { approximate = true; break; }
          await readNext(t);
          if (!driverComplete && reqs.some(function (r) { return r.indexOf(t) >= 0; })) addFrom(t);
        } else {
          break;
        }
      }
      top.sort(byScore);
      results = top.slice(0, limit);
    } else {
      // Time order (ords are in time order); every list was read whole.
      results = [];
      var ordered = Array.from(candidates.values()).sort(function (a, b) { return sort === "newest" ? b.doc - a.doc : a.doc - b.doc; });
      for (var cand of ordered) {
        var ev = evaluate(cand);
        if (ev.out) continue;
        if (results.length >= limit) { if (ev.certain) matched++; else pending++; continue; }
        var sc = ev.certain ? ev.score : await verify(cand);
        if (sc === null) continue;
        cand.score = sc;
        matched++;
        results.push(cand);
      }
    }
    var hits = await Promise.all(results.map(async function (cand) {
      return self.hit(cand.doc, cand.record || (await self.record(cand.doc)), cand.score, units);
    }));
    var out = { total: matched, hits: hits };
    // Stopped refining at the byte budget: these are real matches with exact scores, but a
    // better one may not have been read yet.
    if (approximate) out.approximate = true;
    var simple = reqs.length === 1 && reqs[0].length === 1 && !needsText && !range;
    if (simple) {
      out.total = reqDf[0];
    } else if (pending > 0 || !driverComplete) {
      out.total = driverComplete ? matched + pending : Math.max(matched, Math.min.apply(null, reqDf));
      out.total_is_estimate = true;
    }
    return out;
  };

  Engine.prototype.hit = function (doc, rec, score, units) {
    var terms = new Set();
    units.forEach(function (u) {
      // An identifier is marked whole, not every `metrics` and `prod` elsewhere.
      (u.identifier ? u.anyOf : u.phrase || u.scored).forEach(function (t) { terms.add(t); });
      if (u.anyOf) u.anyOf.forEach(function (t) { terms.add(t); });
    });
    var hash = rec.u.indexOf("#m-");
    return {
      id: rec.u.slice(hash + 3),
      url: rec.u,
      channel: this.manifest.channels[rec.c],
      author: rec.a,
      time: new Date(rec.t * 1000).toISOString().replace(".000Z", "Z"),
      snippet: snippetHtml(rec.x, terms),
      score: score
    };
  };

  // ------------------------------------------------------------------ snippets
  // Mirrors src/index/snippet.rs (in characters).
  var SNIPPET_CHARS = 180;

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function snippetHtml(text, terms) {
    text = text.replace(/\n/g, " ");
    var spans = tokenize(text)
      .filter(function (t) { return terms.has(t.text); })
      .map(function (t) { return [t.from, t.to, t.text]; })
      .sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var hits = [];
    spans.forEach(function (s) { if (!hits.length || s[0] >= hits[hits.length - 1][1]) hits.push(s); });
    var chars = Array.from(text);
    var offsets = [];
    var at = 0;
    chars.forEach(function (c) { offsets.push(at); at += c.length; });
    var charOf = function (u) { var i = 0; while (i < offsets.length && offsets[i] < u) i++; return i; };
    var unitAt = function (i) { return i < offsets.length ? offsets[i] : text.length; };
    var start = 0, best = 0;
    hits.forEach(function (h, i) {
      var windowEnd = unitAt(charOf(h[0]) + SNIPPET_CHARS - 30);
      var distinct = new Set();
      for (var j = i; j < hits.length && hits[j][0] < windowEnd; j++) distinct.add(hits[j][2]);
      if (distinct.size > best) { best = distinct.size; start = Math.max(0, charOf(h[0]) - 30); }
    });
    start = Math.min(start, Math.max(0, chars.length - SNIPPET_CHARS));
    var floor = Math.max(0, start - 30);
    while (start > floor && !/\s/u.test(chars[start - 1])) start--;
    var end = Math.min(start + SNIPPET_CHARS, chars.length);
    var from = unitAt(start), to = unitAt(end);
    var html = from > 0 ? "…" : "";
    var pos = from;
    hits.filter(function (h) { return h[0] >= from && h[1] <= to; }).forEach(function (h) {
      if (h[0] > pos) html += escapeHtml(text.slice(pos, h[0]));
      html += "<mark>" + escapeHtml(text.slice(h[0], h[1])) + "</mark>";
      pos = h[1];
    });
    if (to > pos) html += escapeHtml(text.slice(pos, to));
    if (to < text.length) html += "…";
    return html;
  }

  // ------------------------------------------------------------------ exports
  var api = { tokenize: tokenize, normalize: normalize, parse: parse, Engine: Engine, Bm25: Bm25, snippetHtml: snippetHtml };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
    return;
  }

  // ------------------------------------------------------------------ browser
  function gunzipIfNeeded(bytes) {
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b || typeof DecompressionStream === "undefined") return Promise.resolve(bytes);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
  }

  var script = document.currentScript;
  var base = new URL("../search/", script ? script.src : location.href);
  if (script && script.dataset.searchBase) base = new URL(script.dataset.searchBase, location.href);
  var engine = new Engine(function (path) {
    return fetch(new URL(path, base)).then(function (r) {
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.arrayBuffer();
    }).then(function (b) { return gunzipIfNeeded(new Uint8Array(b)); });
  });
  root.scrollback = root.scrollback || {};
  root.scrollback.search = function (query, options) { return engine.search(query, options); };
  root.scrollback.tokenize = tokenize;
  root.scrollback.parse = parse;
  root.scrollback.engine = engine;

  // ---------------------------------------------------------------- the search page
  function searchPage() {
    var form = document.getElementById("search-form");
    if (!form) return;
    var input = document.getElementById("search-q");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var controls = ["channel", "from", "after", "before", "sort"].map(function (k) { return document.getElementById("search-" + k); });
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    controls.forEach(function (el) { if (params.get(el.name)) el.value = params.get(el.name); });
    var sequence = 0, timer = null;

    function composed() {
      var q = input.value;
      controls.forEach(function (el) {
        var v = el.value.trim();
        if (!v || (el.name === "sort" && v === "relevance")) return;
        if (el.name === "from") v = v.replace(/\s+/g, "");
        q += " " + el.name + ":" + v;
      });
      return q;
    }

    function linkable() {
      var p = new URLSearchParams();
      if (input.value) p.set("q", input.value);
      controls.forEach(function (el) { if (el.value && !(el.name === "sort" && el.value === "relevance")) p.set(el.name, el.value); });
      var s = p.toString();
      history.replaceState(null, "", s ? "?" + s : location.pathname);
    }

    function render(results, query) {
      list.textContent = "";
      if (!query.trim()) { status.textContent = ""; return; }
      var n = results.total;
      status.textContent = n === 0 ? "No messages match." : (results.total_is_estimate ? "About " : "") + n + (n === 1 ? " message" : " messages");
      if (results.approximate) status.textContent += " (best of what this page could read quickly; `scrollback search` ranks the whole archive exactly)";
      results.hits.forEach(function (hit) {
        var li = document.createElement("li");
        li.className = "search-hit";
        var a = document.createElement("a");
        a.href = "../" + hit.url;
        var meta = document.createElement("span");
        meta.className = "hit-meta";
        var channel = document.createElement("span");
        channel.className = "hit-channel";
        channel.textContent = "#" + hit.channel;
        var time = document.createElement("time");
        time.dateTime = hit.time;
        var d = new Date(hit.time);
        time.textContent = d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) + " " +
          d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
        var author = document.createElement("span");
        author.className = "hit-author";
        author.textContent = hit.author;
        meta.append(channel, " ", time, " ", author);
        var snippet = document.createElement("span");
        snippet.className = "hit-snippet";
        // The snippet is built by escaping the message text and adding <mark> (snippetHtml).
        snippet.innerHTML = hit.snippet;
        a.append(meta, snippet);
        li.append(a);
        list.append(li);
      });
    }

    function run(typing) {
      var query = composed();
      var mine = ++sequence;
      linkable();
      if (!query.trim()) { render({ total: 0, hits: [] }, ""); return; }
      status.textContent = "Searching…";
      engine.search(query, { limit: 20, prefix: typing }).then(function (results) {
        if (mine === sequence) render(results, query);
      }, function (error) {
        if (mine === sequence) status.textContent = "Search failed: " + error.message;
      });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { run(true); }, 120);
    });
    controls.forEach(function (el) { el.addEventListener("change", function () { run(false); }); });
    form.addEventListener("submit", function (e) { e.preventDefault(); run(false); });
    // Arrow keys move between the box and the results.
    form.parentNode.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var at = links.indexOf(document.activeElement);
      if (document.activeElement === input && e.key === "ArrowDown" && links.length) { links[0].focus(); e.preventDefault(); }
      else if (at >= 0) {
        e.preventDefault();
        if (e.key === "ArrowDown" && at + 1 < links.length) links[at + 1].focus();
        else if (e.key === "ArrowUp") (at > 0 ? links[at - 1] : input).focus();
      }
    });
    input.focus();
    if (input.value || controls.some(function (el) { return el.value && el.name !== "sort"; })) run(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", searchPage);
  else searchPage();
})(typeof window !== "undefined" ? window : globalThis);
