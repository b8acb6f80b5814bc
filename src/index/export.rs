//! Static search export (written next).
