#!/usr/bin/env node
// Minimal stand-in for the native `solc` binary, backed by the npm `solc` package
// (soljson, the Emscripten build) installed in tools/node_modules.
//
// Supports only what forge and our Rust build need:
//   solc --version
//   solc [--base-path P] [--include-path P]... [--allow-paths P1,P2] [--no-import-callback]
//        [--pretty-json] --standard-json [-|FILE]
// Standard JSON is read from stdin (or FILE) and the output JSON is written to stdout.
// As with native solc, the exit code is 0 whenever output JSON was produced, even if it
// contains compilation errors. Anything else: a message on stderr and exit 1.
'use strict';

const fs = require('fs');
const path = require('path');

const PROG = 'solc (solc-js wrapper)';

function die(msg) {
  process.stderr.write(`${PROG}: ${msg}\n`);
  process.exit(1);
}

function loadSolc() {
  try {
    return require(path.join(__dirname, 'node_modules', 'solc'));
  } catch (e) {
    die(`cannot load the npm solc package from ${path.join(__dirname, 'node_modules')} ` +
        `(run scripts/bootstrap.sh): ${e.message}`);
  }
}

// "0.8.30+commit.73712a01.Emscripten.clang" -> "0.8.30+commit.73712a01.Linux.g++",
// i.e. the string native solc prints (forge parses the semver from it).
function nativeVersionString(solc) {
  const m = /^(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\+commit\.([0-9a-f]+)/.exec(solc.version());
  if (!m) die(`unexpected version string from solc-js: ${solc.version()}`);
  return `${m[1]}+commit.${m[2]}.Linux.g++`;
}

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: '', includePaths: [],
    allowPaths: [], importCallback: true, pretty: false, input: null };
  const takesValue = new Set(['--base-path', '--include-path', '--allow-paths']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0 && takesValue.has(arg.slice(0, eq))) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (takesValue.has(arg)) {
      if (i + 1 >= argv.length) die(`option ${arg} requires a value`);
      value = argv[++i];
    }
    switch (arg) {
      case '--version': opts.version = true; break;
      case '--standard-json': opts.standardJson = true; break;
      case '--no-import-callback': opts.importCallback = false; break;
      case '--pretty-json': opts.pretty = true; break;
      case '--base-path': opts.basePath = value; break;
      case '--include-path': opts.includePaths.push(value); break;
      case '--allow-paths':
        opts.allowPaths.push(...value.split(',').filter((p) => p !== ''));
        break;
      default:
        if (arg === '-' || !arg.startsWith('-')) {
          if (opts.input !== null) die(`only one standard JSON input may be given (got ${opts.input} and ${arg})`);
          opts.input = arg;
        } else {
          die(`unsupported option: ${arg} (this wrapper only supports --version and --standard-json)`);
        }
    }
  }
  return opts;
}

function isWithin(dir, file) {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

// Import callback modelled on native solc's FileReader: the source unit name is looked up
// under the base path (cwd when empty) and every include path; exactly one match must exist
// and it must lie inside the base path, an include path or an --allow-paths directory.
function makeImportCallback(opts) {
  const cwd = process.cwd();
  const abs = (p) => path.resolve(cwd, p);
  const prefixes = [abs(opts.basePath || '.'), ...opts.includePaths.map(abs)];
  const allowed = [...prefixes, ...opts.allowPaths.map(abs)].map((d) => {
    try { return fs.realpathSync(d); } catch (_) { return d; }
  });
  return (sourceUnitName) => {
    const name = sourceUnitName.replace(/^file:\/\//, '');
    const candidates = [];
    const searched = [];
    for (const prefix of prefixes) {
      const candidate = path.isAbsolute(name) ? path.resolve(name) : path.resolve(prefix, name);
      if (searched.includes(candidate)) continue;
      searched.push(candidate);
      if (fs.existsSync(candidate)) candidates.push(candidate);
    }
    if (candidates.length === 0) {
      return { error: `File not found. Searched the following locations: ${searched.map((s) => `"${s}"`).join(', ')}.` };
    }
    if (candidates.length > 1) {
      return { error: `Ambiguous import. Multiple matching files found inside base path and/or include paths: ${candidates.map((s) => `"${s}"`).join(', ')}.` };
    }
    let real;
    try { real = fs.realpathSync(candidates[0]); } catch (e) { return { error: e.message }; }
    if (!allowed.some((dir) => isWithin(dir, real))) {
      return { error: 'File outside of allowed directories.' };
    }
    try {
      if (!fs.statSync(real).isFile()) return { error: 'Not a valid file.' };
      return { contents: fs.readFileSync(real, 'utf8') };
    } catch (e) {
      return { error: `Not a valid file: ${e.message}` };
    }
  };
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.length === 0) die('no arguments given (supported: --version, --standard-json)');
  const opts = parseArgs(argv);
  if (opts.version) {
    const solc = loadSolc();
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${nativeVersionString(solc)}\n`);
    return;
  }
  if (!opts.standardJson) die('only --version and --standard-json are supported by this wrapper');

  let input;
  try {
    input = fs.readFileSync(opts.input === null || opts.input === '-' ? 0 : opts.input, 'utf8');
  } catch (e) {
    die(`cannot read standard JSON input: ${e.message}`);
  }
  const solc = loadSolc();
  const callbacks = opts.importCallback ? { import: makeImportCallback(opts) } : {};
  let output = solc.compile(input, callbacks);
  if (typeof output !== 'string' || output === '') die('solc-js returned no output');
  if (opts.pretty) {
    try { output = JSON.stringify(JSON.parse(output), null, 4); } catch (_) { /* keep as is */ }
  }
  process.stdout.write(output.endsWith('\n') ? output : `${output}\n`, () => process.exit(0));
}

main();
