// The only error is at the caller of the deprecated message: none comes from the code
// that `#[actor]` generates for it.
#![deny(deprecated)]

use actor_core::prelude::*;

#[actor]
pub struct Legacy;

#[actor]
impl Legacy {
    /// The old name of `fetch`.
    #[deprecated = "use `fetch`"]
    #[message]
    pub fn get(&self) -> u32 {
        1
    }

    #[message]
    pub fn fetch(&self) -> u32 {
        2
    }
}

async fn caller(legacy: ActorRef<Legacy>) -> u32 {
    legacy.fetch().await.unwrap() + legacy.get().await.unwrap()
}

fn main() {
    let _ = caller;
}
