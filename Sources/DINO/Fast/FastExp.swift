/// Eight floats processed together: the width of an AVX register (two SSE registers at the x86-64 baseline
/// Swift compiles for). The exp, erf and GELU kernels work on these lanes explicitly, since their bit
/// tricks keep the compiler from vectorising the scalar loops.
public typealias FloatLanes = SIMD8<Float>

/// `eˣ` to about 1 ulp·2 (relative error below 2e-7 on [-87, 88]), lane by lane.
///
/// libm's `expf` costs ~19 ns per call inside a hot loop, as much as the GEMMs around a softmax.
/// This is the Cephes polynomial: `eˣ = 2ⁿ · eʳ` with `n = round(x / ln 2)` and `|r| ≤ ln 2 / 2`.
/// The exponent bits of `2ⁿ` are built with wrapping integer arithmetic on the lanes.
@inline(__always)
public func fastExp(_ x: FloatLanes) -> FloatLanes {
    // Clamped to [-87, 88] with masks: `clamped(lowerBound:upperBound:)` is not inlined and costs more than the polynomial.
    let clamped = x.replacing(with: -87, where: x .< -87).replacing(with: 88, where: x .> 88)
    // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
    let shifter = FloatLanes(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + shifter
    let n = shifted - shifter
    // r = x − n·ln 2, with ln 2 split in two parts so the subtraction is exact.
    var r = clamped - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p = FloatLanes(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let expR = p * r * r + r + 1
    let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return expR * unsafeBitCast(exponent, to: FloatLanes.self)
}

/// `eˣ` for one value (the lane kernel on a single lane, so both give the same bits).
@inline(__always)
public func fastExp(_ x: Float) -> Float { fastExp(FloatLanes(repeating: x))[0] }

/// `erf(x)` to an absolute error below 1e-6 in `Float` (Abramowitz and Stegun 7.1.26: 1.5e-7 exactly),
/// lane by lane, with the `exp(−x²)` its formula computes on the way: libm's `erff` in GELU cost as
/// much as the MLP's products.
@inline(__always)
public func fastErfWithGaussian(_ x: FloatLanes) -> (erf: FloatLanes, gaussian: FloatLanes) {
    let negative = x .< 0
    let magnitude = x.replacing(with: -x, where: negative)
    let t = 1 / (1 + 0.327_591_1 * magnitude)
    var p = FloatLanes(repeating: 1.061_405_429)
    p = p * t - 1.453_152_027
    p = p * t + 1.421_413_741
    p = p * t - 0.284_496_736
    p = p * t + 0.254_829_592
    let gaussian = fastExp(-magnitude * magnitude)
    let value = 1 - p * t * gaussian
    return (value.replacing(with: -value, where: negative), gaussian)
}

/// `erf(x)`, lane by lane.
@inline(__always)
public func fastErf(_ x: FloatLanes) -> FloatLanes { fastErfWithGaussian(x).erf }

/// `erf(x)` for one value.
@inline(__always)
public func fastErf(_ x: Float) -> Float { fastErf(FloatLanes(repeating: x))[0] }

extension UnsafeMutablePointer where Pointee == Float {
    /// The eight floats starting `offset` elements from here.
    @inline(__always)
    func lanes(at offset: Int) -> FloatLanes { UnsafeRawPointer(self + offset).loadUnaligned(as: FloatLanes.self) }

    /// Writes eight floats starting `offset` elements from here.
    @inline(__always)
    func setLanes(_ value: FloatLanes, at offset: Int) { UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: FloatLanes.self) }
}
