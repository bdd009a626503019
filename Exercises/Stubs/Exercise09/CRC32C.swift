import DINO

/// Exercise 09.2: the CRC-32C (Castagnoli) checksum each checkpoint tensor carries (book chapter 09,
/// step 5): bit by bit, reflected, with the polynomial `0x82F63B78`, starting from `0xFFFFFFFF` and
/// inverted at the end. `"123456789"` gives `0xE3069283`.
public func exerciseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    // TODO: for each byte, xor it in, then eight shifts, xoring the polynomial when the low bit was 1.
    return 0
}
