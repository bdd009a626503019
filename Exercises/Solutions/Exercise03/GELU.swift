import DINO
import Foundation

/// Exercise 03.2: the exact GELU and its slope at `x` (book chapter 03, step 2):
/// `x·Φ(x)` with `Φ` the normal CDF, `Φ(x) = ½(1 + erf(x/√2))`, and `Φ(x) + x·φ(x)` with
/// `φ(x) = exp(−x²/2)/√(2π)`.
public func exerciseGELU(_ x: Float) -> (value: Float, slope: Float) {
    let cdf = 0.5 * (1 + erf(Double(x) / 2.0.squareRoot()))
    let density = exp(-Double(x) * Double(x) / 2) / (2 * Double.pi).squareRoot()
    return (Float(Double(x) * cdf), Float(cdf + Double(x) * density))
}
