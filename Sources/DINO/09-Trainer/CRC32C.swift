/// CRC-32C (Castagnoli, the checksum of iSCSI, ext4 and Btrfs): what a checkpoint records for each
/// tensor, so that a changed byte is found on load, with the tensor's name.
public enum CRC32C {
    /// The reflected polynomial 0x1EDC6F41, one entry per byte value.
    static let table: [UInt32] = (0..<256).map { value in
        var crc = UInt32(value)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0x82F6_3B78 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The checksum of a tensor's data as a safetensors file stores it (little-endian `Float`s).
    public static func checksum(_ tensor: Tensor) -> UInt32 {
        tensor.scalars.withUnsafeBytes { checksum($0) }
    }
}
