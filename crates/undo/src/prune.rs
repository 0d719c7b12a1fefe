//! Pruning: the oldest checkpoints beyond [`Limits::keep`], and those
//! older than [`Limits::max_age`], lose their refs (the newest always
//! stays); `git gc --auto` then reclaims their objects when enough have
//! piled up. Refs stay loose (`gc.packRefs = false`), so counting them is
//! reading one directory.

use std::fs;

use crate::{Error, Limits, Store, io, now_micros};

impl Store {
    /// Prune by `limits`; how many checkpoints went.
    pub fn prune(&self, limits: &Limits) -> Result<usize, Error> {
        let _lock = self.lock()?;
        self.prune_locked(limits)
    }

    pub(crate) fn prune_locked(&self, limits: &Limits) -> Result<usize, Error> {
        let dir = self.git_dir.join("refs/checkpoints");
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(io(format!("cannot read {}", dir.display())))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        names.sort();
        let now = now_micros();
        let max_age = limits.max_age.as_micros();
        let n = names.len();
        let mut gone = String::new();
        let mut count = 0;
        for (i, name) in names.iter().enumerate().take(n.saturating_sub(1)) {
            let too_many = n - i > limits.keep.max(1);
            let too_old = name
                .parse::<u128>()
                .is_ok_and(|t| now.saturating_sub(t) > max_age);
            if too_many || too_old {
                gone.push_str(&format!("delete refs/checkpoints/{name}\n"));
                count += 1;
            }
        }
        if count == 0 {
            return Ok(0);
        }
        self.git_in(&["update-ref", "--stdin"], gone.as_bytes())?;
        self.git(&["gc", "--auto", "--quiet"])?;
        Ok(count)
    }
}
