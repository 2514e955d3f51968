//! String formats of the AT Protocol lexicon language (did, at-uri,
//! datetime, nsid, tid, record-key, handle, uri, cid), checked strictly, and
//! the typed values parsed from them.
//!
//! Strict where a looser reading could let two spellings name one thing:
//! `did:plc` identifiers are lowercase base32, `did:web` hosts lowercase,
//! datetimes need upper-case `T` and a timezone, AT URIs are ASCII.

use std::fmt;

use super::cid::Cid;

/// Longest DID accepted (the DID spec's practical limit used by AT Protocol).
pub const DID_MAX: usize = 2048;
/// Longest AT URI or URI accepted.
pub const URI_MAX: usize = 8192;
/// Longest NSID accepted.
const NSID_MAX: usize = 317;
/// Longest record key accepted.
const RKEY_MAX: usize = 512;

/// Checks `value` against a lexicon string `format`. `Err` carries the rule
/// broken, phrased to follow "must be ...".
pub fn check_format(format: &str, value: &str) -> Result<(), &'static str> {
    let ok = match format {
        "did" => is_did(value),
        "at-uri" => is_at_uri(value),
        "datetime" => Datetime::parse(value).is_some(),
        "nsid" => is_nsid(value),
        "tid" => is_tid(value),
        "record-key" => is_rkey(value),
        "handle" => is_handle(value),
        "at-identifier" => is_did(value) || is_handle(value),
        "uri" => is_uri(value),
        "cid" => Cid::parse(value).is_ok(),
        // A format we do not know is a schema error, caught by the lexicon
        // loader's own test; fail closed here anyway.
        _ => false,
    };
    if ok { Ok(()) } else { Err(format_rule(format)) }
}

fn format_rule(format: &str) -> &'static str {
    match format {
        "did" => {
            "a DID (did:METHOD:ID; did:plc ids are 24 lowercase base32 characters, did:web hosts lowercase)"
        }
        "at-uri" => "an AT URI (at://AUTHORITY[/COLLECTION[/RKEY]], ASCII only)",
        "datetime" => "an RFC 3339 datetime with upper-case T and a timezone (Z or +HH:MM)",
        "nsid" => "an NSID (reversed domain name plus a name, e.g. dev.cocore.compute.job)",
        "tid" => "a TID (13 base32-sortable characters)",
        "record-key" => "a record key (1-512 characters of A-Z a-z 0-9 . _ : ~ -)",
        "handle" => "a handle (a domain name)",
        "at-identifier" => "a DID or a handle",
        "uri" => "a URI (scheme:rest, no whitespace)",
        "cid" => "a CIDv1 (base32 'b...', dag-cbor or raw, sha2-256)",
        _ => "a value of a known format",
    }
}

pub fn is_did(s: &str) -> bool {
    if s.len() > DID_MAX {
        return false;
    }
    let Some(rest) = s.strip_prefix("did:") else {
        return false;
    };
    let Some((method, id)) = rest.split_once(':') else {
        return false;
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:%-".contains(&b))
        || id.ends_with(':')
        || id.ends_with('%')
    {
        return false;
    }
    match method {
        "plc" => id.len() == 24 && id.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7')),
        "web" => {
            // Host (lowercase), optional %3A port, optional :path segments.
            let host = id.split(':').next().unwrap_or("");
            let host = host.split("%3A").next().unwrap_or("");
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
                && !id.contains("%2F")
        }
        _ => true,
    }
}

pub fn is_handle(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && !labels
            .last()
            .is_some_and(|l| l.as_bytes()[0].is_ascii_digit())
}

pub fn is_nsid(s: &str) -> bool {
    if s.len() > NSID_MAX {
        return false;
    }
    let segs: Vec<&str> = s.split('.').collect();
    if segs.len() < 3 {
        return false;
    }
    let (name, domain) = segs.split_last().expect("at least 3 segments");
    let name_ok = name.len() <= 63
        && name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && name.bytes().all(|b| b.is_ascii_alphanumeric());
    let domain_ok = domain.iter().enumerate().all(|(i, l)| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
            // The first segment (a top-level domain) must not start with a digit.
            && (i != 0 || !l.as_bytes()[0].is_ascii_digit())
    });
    name_ok && domain_ok
}

/// `bytes` as lowercase hex, two characters a byte.
pub fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A TID (timestamp identifier): 53 bits of microseconds and a 10-bit
/// clock id, in base32-sortable. The clock id comes from `salt`, so two
/// records made in the same microsecond with other salts still differ.
pub fn tid(micros: Micros, salt: &str) -> String {
    use sha2::Digest as _;
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    let h = sha2::Sha256::digest(salt.as_bytes());
    let clock = u64::from(u16::from_be_bytes([h[0], h[1]]) & 0x3ff);
    let n = ((micros.max(0) as u64 & ((1 << 53) - 1)) << 10) | clock;
    (0..13)
        .rev()
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect()
}

pub fn is_tid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13
        && matches!(b[0], b'2'..=b'7' | b'a'..=b'j')
        && b.iter().all(|c| matches!(c, b'2'..=b'7' | b'a'..=b'z'))
}

pub fn is_rkey(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= RKEY_MAX
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:~-".contains(&b))
}

pub fn is_uri(s: &str) -> bool {
    if s.len() > URI_MAX {
        return false;
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_lowercase)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-".contains(&b))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn is_at_uri(s: &str) -> bool {
    if s.len() > URI_MAX || !s.is_ascii() {
        return false;
    }
    let Some(rest) = s.strip_prefix("at://") else {
        return false;
    };
    let mut parts = rest.split('/');
    let authority = parts.next().unwrap_or("");
    if !(is_did(authority) || is_handle(authority)) {
        return false;
    }
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => true,
        (Some(c), None, _) => is_nsid(c),
        (Some(c), Some(k), None) => is_nsid(c) && is_rkey(k),
        _ => false,
    }
}

/// An AT URI naming one record: `at://DID/COLLECTION/RKEY`. The authority
/// must be a DID (not a handle), because ownership rules compare DIDs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AtUri {
    text: String,
    did_end: usize,
    collection_end: usize,
}

impl AtUri {
    /// `None` unless `s` is a full record URI with a DID authority.
    pub fn parse(s: &str) -> Option<AtUri> {
        if !is_at_uri(s) {
            return None;
        }
        let rest = &s[5..];
        let mut parts = rest.splitn(3, '/');
        let did = parts.next()?;
        let collection = parts.next()?;
        let _rkey = parts.next()?;
        if !is_did(did) {
            return None;
        }
        Some(AtUri {
            text: s.to_owned(),
            did_end: 5 + did.len(),
            collection_end: 5 + did.len() + 1 + collection.len(),
        })
    }
    pub fn did(&self) -> &str {
        &self.text[5..self.did_end]
    }
    pub fn collection(&self) -> &str {
        &self.text[self.did_end + 1..self.collection_end]
    }
    pub fn rkey(&self) -> &str {
        &self.text[self.collection_end + 1..]
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for AtUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
impl fmt::Debug for AtUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

/// An instant, as nanoseconds since the Unix epoch (UTC). i128 so that every
/// year 0001..=9999 fits without overflow.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Datetime {
    nanos: i128,
}

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Unix microseconds: how the store and the ledger keep instants.
pub type Micros = i64;

impl Datetime {
    pub fn from_unix_nanos(nanos: i128) -> Datetime {
        Datetime { nanos }
    }
    pub fn from_unix_micros(micros: Micros) -> Datetime {
        Datetime {
            nanos: i128::from(micros) * 1000,
        }
    }
    pub fn unix_nanos(self) -> i128 {
        self.nanos
    }
    /// Microseconds since the epoch, rounded down; saturates at
    /// `i64::MAX` (beyond year 294,000).
    pub fn unix_micros(self) -> Micros {
        i64::try_from(self.nanos.div_euclid(1000)).unwrap_or(i64::MAX)
    }
    /// Seconds since the epoch, rounded down.
    pub fn unix_seconds(self) -> i64 {
        self.nanos.div_euclid(NANOS_PER_SEC) as i64
    }
    pub fn now() -> Datetime {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Datetime {
            nanos: d.as_nanos() as i128,
        }
    }
    pub fn plus_seconds(self, s: i64) -> Datetime {
        Datetime {
            nanos: self.nanos + i128::from(s) * NANOS_PER_SEC,
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`. Upper-case
    /// `T` and `Z` only; `-00:00` (unknown offset) is rejected; at most 9
    /// fraction digits.
    pub fn parse(s: &str) -> Option<Datetime> {
        let b = s.as_bytes();
        if b.len() < 20 || b.len() > 64 {
            return None;
        }
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let year = num(0, 4)?;
        let month = num(5, 2)?;
        let day = num(8, 2)?;
        let hour = num(11, 2)?;
        let minute = num(14, 2)?;
        let second = num(17, 2)?;
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if year < 1
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let mut i = 19;
        let mut frac_nanos: i128 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let digits = &b[start..i];
            if digits.is_empty() || digits.len() > 9 {
                return None;
            }
            for (n, d) in digits.iter().enumerate() {
                frac_nanos += i128::from(d - b'0') * 10i128.pow(8 - n as u32);
            }
        }
        let offset_seconds: i64 = match &b[i..] {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let oh = num(i + 1, 2)?;
                let om = num(i + 4, 2)?;
                if oh > 23 || om > 59 || (*sign == b'-' && oh == 0 && om == 0) {
                    return None;
                }
                let o = oh * 3600 + om * 60;
                if *sign == b'-' { -o } else { o }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
        Some(Datetime {
            nanos: i128::from(secs) * NANOS_PER_SEC + frac_nanos,
        })
    }
}

impl fmt::Display for Datetime {
    /// RFC 3339 in UTC with millisecond precision or finer when needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.nanos.div_euclid(NANOS_PER_SEC) as i64;
        let frac = self.nanos.rem_euclid(NANOS_PER_SEC);
        let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        )?;
        if frac % 1_000_000 == 0 {
            write!(f, ".{:03}Z", frac / 1_000_000)
        } else {
            write!(f, ".{frac:09}Z")
        }
    }
}
impl fmt::Debug for Datetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        let epoch = |s: &str| Datetime::parse(s).map(|d| d.unix_nanos());
        assert_eq!(epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch("1970-01-01T00:00:00.5Z"), Some(500_000_000));
        assert_eq!(epoch("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            epoch("2026-11-21T10:00:00.123456789Z"),
            Some(1_795_255_200_123_456_789)
        );
        assert_eq!(
            epoch("2000-02-29T00:00:00Z"),
            Some(951_782_400 * NANOS_PER_SEC)
        );
        for bad in [
            "2026-11-21 10:00:00Z",
            "2026-11-21t10:00:00Z",
            "2026-11-21T10:00:00z",
            "2026-11-21T10:00:00",
            "2026-11-21T10:00:00-00:00",
            "2026-11-21T24:00:00Z",
            "2026-11-21T10:00:60Z",
            "2026-02-29T10:00:00Z",
            "1900-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "0000-01-01T00:00:00Z",
            "2026-11-21T10:00:00.Z",
            "2026-11-21T10:00:00.1234567890Z",
            "2026-11-21T10:00:00+0100",
            "2026-11-21T10:00:00+01:00x",
            "+2026-11-21T10:00:00Z",
            "２０２６-11-21T10:00:00Z",
        ] {
            assert_eq!(Datetime::parse(bad), None, "{bad}");
        }
        let d = Datetime::parse("2026-11-21T10:00:00.120Z").unwrap();
        assert_eq!(d.to_string(), "2026-11-21T10:00:00.120Z");
        assert_eq!(Datetime::parse(&d.to_string()), Some(d));
        let d = Datetime::parse("0001-01-01T00:00:00.000000001Z").unwrap();
        assert_eq!(d.to_string(), "0001-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn dids() {
        for ok in [
            "did:plc:abcdefghijklmnopqrstuvwx",
            "did:web:example.com",
            "did:web:localhost%3A8080",
            "did:web:example.com:user:alice",
            "did:key:zDnaeTiq1PdzvZXUaMdezchcMJQpBdH2VN4pgrrEhMCCbmwSb",
        ] {
            assert!(is_did(ok), "{ok}");
        }
        for bad in [
            "DID:plc:abcdefghijklmnopqrstuvwx",
            "did:PLC:abcdefghijklmnopqrstuvwx",
            "did:plc:ABCDEFGHIJKLMNOPQRSTUVWX",
            "did:plc:abcdefghijklmnopqrstuvw",
            "did:plc:abcdefghijklmnopqrstuvw1",
            "did:web:Example.com",
            "did:web:exаmple.com",
            "did:web:",
            "did:web:example.com:",
            "did:plc",
            "did::x",
            " did:web:example.com",
            "did:web:example.com\u{200b}",
        ] {
            assert!(!is_did(bad), "{bad}");
        }
    }

    #[test]
    fn at_uris() {
        let u = AtUri::parse(
            "at://did:plc:abcdefghijklmnopqrstuvwx/dev.cocore.compute.job/3kabc2def3ghi",
        )
        .unwrap();
        assert_eq!(u.did(), "did:plc:abcdefghijklmnopqrstuvwx");
        assert_eq!(u.collection(), "dev.cocore.compute.job");
        assert_eq!(u.rkey(), "3kabc2def3ghi");
        assert!(is_at_uri("at://alice.example.com"));
        assert!(is_at_uri("at://did:web:example.com/dev.cocore.compute.job"));
        // Handles are valid AT URIs but not record URIs we act on.
        assert!(AtUri::parse("at://alice.example.com/dev.cocore.compute.job/x").is_none());
        for bad in [
            "AT://did:web:example.com/dev.cocore.compute.job/x",
            "at://did:web:example.com/dev.cocore.compute.job/x/y",
            "at://did:web:example.com/dev.cocore.compute.job/",
            "at://did:web:example.com/dev.cocore.compute.job/..",
            "at://did:web:example.com/job/x",
            "at://did:web:example.com/dev.cocore.compute.job/x?q=1",
            "at://did:web:example.com/dev.cocore.compute.job/x#f",
            "at://did:web:example.com/dev.cocore.compute.job/é",
            "at://did:web:EXAMPLE.com/dev.cocore.compute.job/x",
        ] {
            assert!(AtUri::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn other_formats() {
        assert!(is_tid("3kabc2def3ghi"));
        assert!(!is_tid("3kabc2def3gh1"));
        assert!(!is_tid("kkabc2def3ghi"));
        assert_eq!(lower_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert!(is_nsid("dev.cocore.compute.job"));
        assert!(!is_nsid("dev.cocore"));
        assert!(!is_nsid("dev.cocore.compute.9job"));
        assert!(is_uri("https://example.com/x"));
        assert!(!is_uri("https://example.com/a b"));
        assert!(!is_uri("example.com"));
        assert!(
            check_format(
                "cid",
                "bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae"
            )
            .is_ok()
        );
        assert!(check_format("no-such-format", "x").is_err());
    }
}
