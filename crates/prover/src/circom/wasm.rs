//! circom's WebAssembly witness generator (`circom --wasm`), run in process: what
//! `snarkjs wtns calculate` does with node, here on wasmi.
//!
//! The protocol (circom 2, as in circom_runtime's `WitnessCalculatorCircom2`): `init`, then for
//! each input value write its 32-bit limbs to the shared read/write memory and call
//! `setInputSignal(hash_hi, hash_lo, index)`, where the hash is FNV-1a of the signal's name; the
//! circuit runs once its last input is set. `getWitness(i)` then leaves signal i in the shared
//! memory, read here straight from the exported linear memory.
//!
//! wasmi interprets rather than compiles: building it takes seconds where wasmer or wasmtime take
//! minutes of CI's two cores, and a witness costs milliseconds next to the proof. Every failure,
//! traps and circom's own exceptions (a failed `assert`, a constraint the input breaks) included,
//! comes back as a [`WasmProblem`]; nothing the module does can panic the prover.

use std::path::{Path, PathBuf};

use ark_ff::{BigInteger, PrimeField};
use wasmi::{Caller, Engine, Extern, Instance, Linker, Memory, Module, Store, TypedFunc};

use super::binfile;
use super::error::CircomError;
use super::input::{self, InputProblem, Signal};
use crate::Fr;

pub use super::error::WasmProblem;


/// A compiled witness generator; [`WitnessCalculator::calculate`] instantiates it afresh for each
/// witness, so one calculator serves any number of threads.
pub struct WitnessCalculator {
    engine: Engine,
    module: Module,
    path: PathBuf,
}

/// What circom's runtime imports report, kept until the call that raised them returns.
#[derive(Default)]
struct HostState {
    /// Messages from `printErrorMessage` (circom's "Error in template … line: …").
    errors: Vec<String>,
    exception: Option<i32>,
}

struct Exports {
    memory: Memory,
    shared: usize,
    n32: usize,
    init: TypedFunc<i32, ()>,
    set_input_signal: TypedFunc<(i32, i32, i32), ()>,
    get_input_signal_size: Option<TypedFunc<(i32, i32), i32>>,
    get_input_size: Option<TypedFunc<(), i32>>,
    get_witness_size: TypedFunc<(), i32>,
    get_witness: TypedFunc<i32, ()>,
}

impl WitnessCalculator {
    /// Reads the generator at `path` and compiles it as [`WitnessCalculator::from_bytes`] does.
    pub fn from_file(path: &Path) -> Result<WitnessCalculator, CircomError> {
        let bytes = binfile::read_file(path)?;
        WitnessCalculator::from_bytes(&bytes, path)
    }

    /// Compiles (validates) the module and checks it is a circom 2 generator over BN254.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<WitnessCalculator, CircomError> {
        let fail = |problem| CircomError::Wasm { path: path.to_path_buf(), problem };
        if !bytes.starts_with(b"\0asm") {
            let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
            let found = if bytes.is_empty() { "the file is empty".to_string() } else { format!("it starts with {} instead", head.join(" ")) };
            return Err(fail(WasmProblem::Module(format!("{found} of WebAssembly's magic bytes 00 61 73 6d; give the .wasm that `circom --wasm` writes"))));
        }
        let engine = Engine::default();
        // One line: some of wasmi's messages embed a multi-line debug dump.
        let module = Module::new(&engine, bytes).map_err(|e| fail(WasmProblem::Module(e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))))?;
        let calc = WitnessCalculator { engine, module, path: path.to_path_buf() };
        let (mut store, instance, imported) = calc.instantiate(path)?;
        calc.exports(&mut store, &instance, imported, path)?;
        Ok(calc)
    }

    /// The module's path, named in errors.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, problem: WasmProblem) -> CircomError {
        CircomError::Wasm { path: self.path.clone(), problem }
    }

    fn instantiate(&self, input: &Path) -> Result<(Store<HostState>, Instance, Option<Memory>), CircomError> {
        let mut store = Store::new(&self.engine, HostState::default());
        let mut linker = Linker::<HostState>::new(&self.engine);
        let not_circom = |e: &dyn std::fmt::Display| self.fail(WasmProblem::NotCircom(e.to_string()));
        linker
            .func_wrap("runtime", "exceptionHandler", |mut caller: Caller<'_, HostState>, code: i32| -> Result<(), wasmi::Error> {
                caller.data_mut().exception = Some(code);
                Err(wasmi::Error::new(format!("circom exception {code}")))
            })
            .and_then(|l| {
                l.func_wrap("runtime", "printErrorMessage", |mut caller: Caller<'_, HostState>| -> Result<(), wasmi::Error> {
                    let message = read_message(&mut caller)?;
                    caller.data_mut().errors.push(message);
                    Ok(())
                })
            })
            // log() output: read so the generator's buffer drains, not shown.
            .and_then(|l| l.func_wrap("runtime", "writeBufferMessage", |mut caller: Caller<'_, HostState>| -> Result<(), wasmi::Error> { read_message(&mut caller).map(drop) }))
            .and_then(|l| l.func_wrap("runtime", "showSharedRWMemory", |_: Caller<'_, HostState>| {}))
            .and_then(|l| l.func_wrap("runtime", "printDebug", |_: Caller<'_, HostState>, _: i32| {}))
            .map_err(|e| not_circom(&e))?;
        // Early circom 2 releases import their memory instead of exporting it.
        let mut imported = None;
        for import in self.module.imports() {
            if let wasmi::ExternType::Memory(ty) = import.ty() {
                let memory = Memory::new(&mut store, *ty).map_err(|e| not_circom(&e))?;
                linker.define(import.module(), import.name(), memory).map_err(|e| not_circom(&e))?;
                imported = Some(memory);
            }
        }
        let instance = linker.instantiate_and_start(&mut store, &self.module).map_err(|e| {
            self.fail(WasmProblem::Trap { input: input.to_path_buf(), message: format!("instantiating: {e}") })
        })?;
        Ok((store, instance, imported))
    }

    fn exports(&self, store: &mut Store<HostState>, instance: &Instance, imported: Option<Memory>, input: &Path) -> Result<Exports, CircomError> {
        let missing = |name: &str| self.fail(WasmProblem::NotCircom(format!("it exports no {name} of the expected type")));
        macro_rules! func {
            ($name:literal) => {
                instance.get_typed_func(&*store, $name).map_err(|_| missing($name))?
            };
        }
        let memory = instance
            .get_export(&*store, "memory")
            .and_then(Extern::into_memory)
            .or(imported)
            .ok_or_else(|| missing("memory"))?;
        let get_version: TypedFunc<(), i32> = func!("getVersion");
        let get_field_num_len32: TypedFunc<(), i32> = func!("getFieldNumLen32");
        let get_raw_prime: TypedFunc<(), ()> = func!("getRawPrime");
        let get_shared: TypedFunc<(), i32> = func!("getSharedRWMemoryStart");
        let call = |store: &mut Store<HostState>, f: &TypedFunc<(), i32>| self.call(store, input, |s| f.call(s, ()));
        let version = call(store, &get_version)?;
        if version != 2 {
            return Err(self.fail(WasmProblem::NotCircom(format!("it reports circom version {version}; zkbatch runs circom 2 generators"))));
        }
        let n32 = usize::try_from(call(store, &get_field_num_len32)?).unwrap_or(0);
        let shared = usize::try_from(call(store, &get_shared)?).unwrap_or(usize::MAX);
        self.call(store, input, |s| get_raw_prime.call(s, ()))?;
        let prime = read_limbs(memory.data(&*store), shared, n32)
            .ok_or_else(|| self.fail(WasmProblem::NotCircom("its shared memory lies outside its linear memory".into())))?;
        if prime != Fr::MODULUS.to_bytes_le() {
            return Err(self.fail(WasmProblem::Field(num_bigint::BigUint::from_bytes_le(&prime).to_string())));
        }
        Ok(Exports {
            memory,
            shared,
            n32,
            init: func!("init"),
            set_input_signal: func!("setInputSignal"),
            get_input_signal_size: instance.get_typed_func(&*store, "getInputSignalSize").ok(),
            get_input_size: instance.get_typed_func(&*store, "getInputSize").ok(),
            get_witness_size: func!("getWitnessSize"),
            get_witness: func!("getWitness"),
        })
    }

    /// Runs `f` and turns a trap or a circom exception into an error naming the module and input.
    fn call<R>(
        &self,
        store: &mut Store<HostState>,
        input: &Path,
        f: impl FnOnce(&mut Store<HostState>) -> Result<R, wasmi::Error>,
    ) -> Result<R, CircomError> {
        f(store).map_err(|err| {
            let state = std::mem::take(store.data_mut());
            let details = state.errors.join("; ");
            let input = input.to_path_buf();
            let problem = match state.exception {
                Some(code) => {
                    let what = match code {
                        1 => "signal not found",
                        2 => "too many signals set",
                        3 => "signal already set",
                        4 => "assert failed",
                        5 => "not enough memory",
                        6 => "input signal array access exceeds the size",
                        _ => "unknown error",
                    };
                    let message = if details.is_empty() { what.to_string() } else { format!("{what}: {details}") };
                    WasmProblem::Exception { input, message }
                }
                None => WasmProblem::Trap { input, message: err.to_string() },
            };
            self.fail(problem)
        })
    }

    /// The full witness `[1, public…, private…]` for the inputs of `input_path` (named in errors).
    pub fn calculate_json(&self, input_path: &Path) -> Result<Vec<Fr>, CircomError> {
        let text = std::fs::read_to_string(input_path).map_err(|source| CircomError::Io { path: input_path.to_path_buf(), source })?;
        let signals = input::parse(&text).map_err(|problem| CircomError::Input { path: input_path.to_path_buf(), problem })?;
        self.calculate(&signals, input_path)
    }

    /// Checks `signals` against the circuit's inputs without computing a witness: each is an input
    /// signal with the right number of values, and none is missing (as far as the generator can
    /// say; circom before 2.1 answers neither). Cheap: the generator is instantiated, not run.
    pub fn check_inputs(&self, signals: &[Signal], input: &Path) -> Result<(), CircomError> {
        let (mut store, instance, imported) = self.instantiate(input)?;
        let ex = self.exports(&mut store, &instance, imported, input)?;
        self.call(&mut store, input, |s| ex.init.call(s, 0))?;
        for signal in signals {
            self.check_signal_size(&mut store, &ex, signal, input)?;
        }
        self.check_none_missing(&mut store, &ex, signals.iter().map(|s| s.values.len()).sum(), input)
    }

    /// Refuses a signal the circuit does not take, or takes another number of values of.
    fn check_signal_size(&self, store: &mut Store<HostState>, ex: &Exports, signal: &Signal, input: &Path) -> Result<(), CircomError> {
        let Some(size) = &ex.get_input_signal_size else { return Ok(()) };
        let bad_input = |problem| CircomError::Input { path: input.to_path_buf(), problem };
        let (hi, lo) = input::fnv_hash(&signal.name);
        let expected = self.call(store, input, |s| size.call(s, (hi as i32, lo as i32))).map_err(|err| match err {
            CircomError::Wasm { problem: WasmProblem::Exception { .. }, .. } => bad_input(InputProblem::UnknownSignal(signal.name.clone())),
            other => other,
        })?;
        // circom 2.2 answers 0 for a name it does not know, older releases a negative size.
        let expected =
            usize::try_from(expected).ok().filter(|&n| n > 0).ok_or_else(|| bad_input(InputProblem::UnknownSignal(signal.name.clone())))?;
        if expected != signal.values.len() {
            return Err(bad_input(InputProblem::ValueCount { signal: signal.name.clone(), expected, got: signal.values.len() }));
        }
        Ok(())
    }

    /// Refuses `set` input values when the circuit takes more.
    fn check_none_missing(&self, store: &mut Store<HostState>, ex: &Exports, set: usize, input: &Path) -> Result<(), CircomError> {
        let Some(total) = &ex.get_input_size else { return Ok(()) };
        let total = usize::try_from(self.call(store, input, |s| total.call(s, ()))?).unwrap_or(0);
        if set < total {
            return Err(CircomError::Input { path: input.to_path_buf(), problem: InputProblem::Missing { set, total } });
        }
        Ok(())
    }

    /// The full witness for `signals`; `input` names their source in errors.
    pub fn calculate(&self, signals: &[Signal], input: &Path) -> Result<Vec<Fr>, CircomError> {
        let (mut store, instance, imported) = self.instantiate(input)?;
        let ex = self.exports(&mut store, &instance, imported, input)?;
        let bad_input = |problem| CircomError::Input { path: input.to_path_buf(), problem };
        self.call(&mut store, input, |s| ex.init.call(s, 0))?;

        let mut set = 0usize;
        for signal in signals {
            self.check_signal_size(&mut store, &ex, signal, input)?;
            let (hi, lo) = input::fnv_hash(&signal.name);
            let (hi, lo) = (hi as i32, lo as i32);
            for (i, value) in signal.values.iter().enumerate() {
                let limbs = value.into_bigint().to_bytes_le();
                let memory = ex.memory.data_mut(&mut store);
                let slot = memory.get_mut(ex.shared..ex.shared + 4 * ex.n32).ok_or_else(|| {
                    self.fail(WasmProblem::NotCircom("its shared memory lies outside its linear memory".into()))
                })?;
                slot.fill(0);
                let n = limbs.len().min(slot.len());
                slot[..n].copy_from_slice(&limbs[..n]);
                self.call(&mut store, input, |s| ex.set_input_signal.call(s, (hi, lo, i as i32))).map_err(|err| match err {
                    CircomError::Wasm { problem: WasmProblem::Exception { message, .. }, .. } if message.starts_with("signal not found") => {
                        bad_input(InputProblem::UnknownSignal(signal.name.clone()))
                    }
                    other => other,
                })?;
                set += 1;
            }
        }
        self.check_none_missing(&mut store, &ex, set, input)?;

        let size = usize::try_from(self.call(&mut store, input, |s| ex.get_witness_size.call(s, ()))?).unwrap_or(0);
        let mut witness = Vec::with_capacity(size);
        for i in 0..size {
            self.call(&mut store, input, |s| ex.get_witness.call(s, i as i32))?;
            let bytes = read_limbs(ex.memory.data(&store), ex.shared, ex.n32)
                .ok_or_else(|| self.fail(WasmProblem::NotCircom("its shared memory lies outside its linear memory".into())))?;
            let value = binfile::standard::<Fr>(&bytes).ok_or_else(|| self.fail(WasmProblem::BadValue(i as u32)))?;
            witness.push(value);
        }
        Ok(witness)
    }
}

/// `n32` little-endian 32-bit limbs at `at`, as 32 bytes (zero-padded).
fn read_limbs(memory: &[u8], at: usize, n32: usize) -> Option<Vec<u8>> {
    let bytes = memory.get(at..at.checked_add(4 * n32)?)?;
    let mut out = bytes.to_vec();
    out.resize(out.len().max(32), 0);
    Some(out)
}

/// A message the generator spells out through `getMessageChar`, up to its terminating 0.
fn read_message(caller: &mut Caller<'_, HostState>) -> Result<String, wasmi::Error> {
    let f = caller
        .get_export("getMessageChar")
        .and_then(Extern::into_func)
        .ok_or_else(|| wasmi::Error::new("no getMessageChar export"))?
        .typed::<(), i32>(&*caller)?;
    let mut message = String::new();
    // Bounded: a generator that never ends its message gets cut off rather than looping forever.
    for _ in 0..4096 {
        match f.call(&mut *caller, ())? {
            0 => break,
            c => message.push(char::from_u32(c as u32).unwrap_or('?')),
        }
    }
    Ok(message)
}
