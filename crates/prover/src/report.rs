//! What one proof cost, phase by phase.

use std::time::Duration;

use serde::Serialize;

/// Wall-clock time of each proving phase, and which MSM engine ran.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProofReport {
    /// The MSM engine's name, e.g. `cpu-batch-affine`.
    pub engine: &'static str,
    /// Constraints in the circuit (rows of A), the instance rows excluded.
    pub constraints: usize,
    /// Synthesising the witness; zero when proving from an assignment made elsewhere.
    #[serde(serialize_with = "millis")]
    pub witness: Duration,
    /// R1CS-to-QAP: evaluating A, B, C and the FFTs that give h(x).
    #[serde(serialize_with = "millis")]
    pub qap: Duration,
    /// The G1 MSM over the key's A query.
    #[serde(serialize_with = "millis")]
    pub msm_a: Duration,
    /// The G1 MSM over the key's B query; zero when r is zero and it is skipped.
    #[serde(serialize_with = "millis")]
    pub msm_b_g1: Duration,
    /// The G2 MSM over the key's B query, the proof's B.
    #[serde(serialize_with = "millis")]
    pub msm_b_g2: Duration,
    /// The G1 MSM over the key's H points.
    #[serde(serialize_with = "millis")]
    pub msm_h: Duration,
    /// The G1 MSM over the key's L points, the private part of the assignment.
    #[serde(serialize_with = "millis")]
    pub msm_l: Duration,
    /// The whole proof, witness included (from an assignment made elsewhere: QAP and MSMs only).
    #[serde(serialize_with = "millis")]
    pub total: Duration,
}

impl ProofReport {
    /// The five MSMs together.
    pub fn msm(&self) -> Duration {
        self.msm_a + self.msm_b_g1 + self.msm_b_g2 + self.msm_h + self.msm_l
    }

    /// Logs the proof's timings at info level (what `-v` shows), naming what was proved.
    pub fn log(&self, input: &dyn std::fmt::Display) {
        tracing::info!(
            %input,
            engine = self.engine,
            total_ms = self.total.as_secs_f64() * 1e3,
            witness_ms = self.witness.as_secs_f64() * 1e3,
            qap_ms = self.qap.as_secs_f64() * 1e3,
            msm_ms = self.msm().as_secs_f64() * 1e3,
            "proof done"
        );
    }

    /// Adds another report's phases to this one (for totals over many proofs).
    pub fn accumulate(&mut self, other: &ProofReport) {
        self.engine = other.engine;
        self.constraints = other.constraints;
        self.witness += other.witness;
        self.qap += other.qap;
        self.msm_a += other.msm_a;
        self.msm_b_g1 += other.msm_b_g1;
        self.msm_b_g2 += other.msm_b_g2;
        self.msm_h += other.msm_h;
        self.msm_l += other.msm_l;
        self.total += other.total;
    }
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}
