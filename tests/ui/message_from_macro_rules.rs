use actor_core::prelude::*;

macro_rules! getter {
    ($name:ident) => {
        #[message]
        pub fn $name(&self) -> u32 {
            self.value
        }
    };
}

#[actor]
pub struct Gauge {
    value: u32,
}

#[actor]
impl Gauge {
    getter!(value);
}

fn main() {}
