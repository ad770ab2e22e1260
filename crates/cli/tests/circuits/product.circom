pragma circom 2.0.0;

// zkbatch's own test circuit: y = a·b[0]·b[1]·c + a, with c public; b[1] must not be 0 (its
// inverse is a witness), so an input with b[1] = 0 fails in the witness generator.
template Product() {
    signal input a;
    signal input b[2];
    signal input c;
    signal output y;

    signal inv;
    inv <-- 1 / b[1];
    inv * b[1] === 1;

    signal t <== a * b[0];
    signal u <== t * b[1];
    y <== u * c + a;
}

component main {public [c]} = Product();
