import Foundation

/// The only source of randomness in this codebase: xoshiro256** seeded through SplitMix64.
///
/// Its state is four public words, so that a checkpoint can store it and a resumed run draws the same
/// numbers as an uninterrupted one.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Codable, Equatable {
    /// The four state words of xoshiro256**.
    public var state: [UInt64]

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        state = (0..<4).map { _ in
            // SplitMix64 spreads a small seed over all 256 state bits.
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state[1] &* 5, 7) &* 9
        let shifted = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= shifted
        state[3] = rotateLeft(state[3], 45)
        return result
    }

    /// A generator for the `index`-th independent stream (a sample, a worker), derived from this one's
    /// state without advancing it, so that streams do not depend on the order they are asked for.
    public func substream(_ index: UInt64) -> SeededGenerator {
        SeededGenerator(seed: state[0] ^ (index &* 0xD1B5_4A32_D192_ED03) ^ rotateLeft(state[2], 17))
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

extension RandomNumberGenerator {
    /// A uniform `Float` in `[0, 1)` from the top 24 bits, so every value is exactly representable.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform `Float` in `[lower, upper)`.
    public mutating func nextUniform(in range: Range<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUniform()
    }

    /// A standard normal sample (Box–Muller, computed in `Double`).
    public mutating func nextNormal() -> Float {
        let u1 = 1 - Double(next() >> 11) * 0x1p-53  // (0, 1]: the logarithm stays finite
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

extension Tensor {
    /// Samples from `U(range)`, as `torch.nn.init.uniform_`.
    public static func uniform(_ shape: [Int], in range: Range<Float>, using rng: inout some RandomNumberGenerator) -> Tensor {
        var tensor = Tensor(zeros: shape)
        for i in tensor.scalars.indices { tensor.scalars[i] = rng.nextUniform(in: range) }
        return tensor
    }

    /// Samples from `N(mean, std²)`, as `torch.nn.init.normal_`.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout some RandomNumberGenerator) -> Tensor {
        var tensor = Tensor(zeros: shape)
        for i in tensor.scalars.indices { tensor.scalars[i] = mean + std * rng.nextNormal() }
        return tensor
    }

    /// Samples from `N(mean, std²)` restricted to `[lower, upper]`, as `torch.nn.init.trunc_normal_`.
    ///
    /// As in PyTorch the bounds are absolute values, not multiples of `std`: DINO's
    /// `trunc_normal_(std=0.02)` keeps the default bounds ±2, a hundred standard deviations, so it is in
    /// effect a plain normal. Out-of-range draws are rejected and drawn again.
    public static func truncatedNormal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, lower: Float = -2, upper: Float = 2,
        using rng: inout some RandomNumberGenerator
    ) -> Tensor {
        checkArgument(lower < upper, "truncatedNormal: lower bound \(lower) must be below upper bound \(upper)")
        var tensor = Tensor(zeros: shape)
        for i in tensor.scalars.indices {
            var value: Float
            repeat { value = mean + std * rng.nextNormal() } while value < lower || value > upper
            tensor.scalars[i] = value
        }
        return tensor
    }
}
