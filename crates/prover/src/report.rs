//! What one proof cost, phase by phase.

use std::time::Duration;

use serde::Serialize;

/// Wall-clock time of each proving phase, and which MSM engine ran.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProofReport {
    pub engine: &'static str,
    pub constraints: usize,
    #[serde(serialize_with = "millis")]
    pub witness: Duration,
    /// R1CS-to-QAP: evaluating A, B, C and the FFTs that give h(x).
    #[serde(serialize_with = "millis")]
    pub qap: Duration,
    #[serde(serialize_with = "millis")]
    pub msm_a: Duration,
    #[serde(serialize_with = "millis")]
    pub msm_b_g1: Duration,
    #[serde(serialize_with = "millis")]
    pub msm_b_g2: Duration,
    #[serde(serialize_with = "millis")]
    pub msm_h: Duration,
    #[serde(serialize_with = "millis")]
    pub msm_l: Duration,
    #[serde(serialize_with = "millis")]
    pub total: Duration,
}

impl ProofReport {
    pub fn msm(&self) -> Duration {
        self.msm_a + self.msm_b_g1 + self.msm_b_g2 + self.msm_h + self.msm_l
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
