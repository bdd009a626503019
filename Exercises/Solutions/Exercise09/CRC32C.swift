import DINO

/// Exercise 09.2: the CRC-32C (Castagnoli) checksum each checkpoint tensor carries (book chapter 09,
/// step 5): bit by bit, reflected, with the polynomial `0x82F63B78`, starting from `0xFFFFFFFF` and
/// inverted at the end. `"123456789"` gives `0xE3069283`.
public func exerciseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}
