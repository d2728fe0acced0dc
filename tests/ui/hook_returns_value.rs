use actor_core::prelude::*;

#[actor]
pub struct Journal {
    lines: Vec<String>,
}

#[actor]
impl Journal {
    #[stopping]
    fn flush(&mut self) -> bool {
        self.lines.clear();
        true
    }

    #[message]
    pub fn write(&mut self, line: String) {
        self.lines.push(line);
    }
}

fn main() {}
