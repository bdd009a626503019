/// `eˣ` to about 1 ulp·2 (relative error below 2e-7 on [-87, 88]) in a form the compiler vectorises.
///
/// libm's `expf` costs ~19 ns per call inside a hot loop, as much as the GEMMs around a softmax.
/// This is the Cephes polynomial: `eˣ = 2ⁿ · eʳ` with `n = round(x / ln 2)` and `|r| ≤ ln 2 / 2`.
/// The exponent bits of `2ⁿ` are built with wrapping integer arithmetic, since a trapping conversion
/// (`Int32(someFloat)`) in a loop stops vectorisation.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87), 88)
    // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
    let shifter: Float = 12_582_912
    let shifted = clamped * 1.442_695_04 + shifter
    let n = shifted - shifter
    // r = x − n·ln 2, with ln 2 split in two parts so the subtraction is exact.
    var r = clamped - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let expR = p * r * r + r + 1
    let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127
    return expR * Float(bitPattern: UInt32(bitPattern: exponent << 23))
}

/// `erf(x)` to an absolute error below 1e-6 in `Float` (Abramowitz and Stegun 7.1.26: 1.5e-7 exactly), in a form the compiler
/// vectorises: libm's `erff` in GELU cost as much as the MLP's products.
@inline(__always)
public func fastErf(_ x: Float) -> Float {
    let magnitude = abs(x)
    let t = 1 / (1 + 0.327_591_1 * magnitude)
    var p: Float = 1.061_405_429
    p = p * t - 1.453_152_027
    p = p * t + 1.421_413_741
    p = p * t - 0.284_496_736
    p = p * t + 0.254_829_592
    let value = 1 - p * t * fastExp(-magnitude * magnitude)
    return x < 0 ? -value : value
}
