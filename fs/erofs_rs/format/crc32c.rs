// SPDX-License-Identifier: GPL-2.0

//! CRC32C (Castagnoli), as the kernel's `crc32c()`: reflected polynomial
//! 0x82F63B78, the caller's seed, no final inversion.

const POLY: u32 = 0x82F6_3B78;

const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// Continues a CRC32C over `data` from `crc`.
pub fn update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_vector() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(!super::update(!0, b"123456789"), 0xE306_9283);
    }
}
