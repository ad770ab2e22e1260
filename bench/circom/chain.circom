pragma circom 2.0.0;

// The benchmark's ~2^16-constraint circuit: a chain of x ↦ x⁵ + k + i, three constraints a step.
// N = 21,800 steps give 65,400 constraints, with the public k and out and the constant 65,403
// rows: the largest such chain that fits a 2^16 evaluation domain.
template Chain(N) {
    signal input x;
    signal input k;
    signal output out;

    signal s[N + 1];
    signal x2[N];
    signal x4[N];
    s[0] <== x;
    for (var i = 0; i < N; i++) {
        x2[i] <== s[i] * s[i];
        x4[i] <== x2[i] * x2[i];
        s[i + 1] <== x4[i] * s[i] + k + i;
    }
    out <== s[N];
}

component main {public [k]} = Chain(21800);
