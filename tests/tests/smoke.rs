use actor_core::prelude::*;

#[derive(Debug, PartialEq)]
pub struct Overdrawn;

#[actor(mailbox = 8)]
pub struct Account {
    balance: u64,
}

#[actor]
impl Account {
    /// Deposit.
    #[message]
    pub fn deposit(&mut self, amount: u64) -> u64 {
        self.balance += amount;
        self.balance
    }

    #[message]
    pub fn withdraw(&mut self, amount: u64) -> Result<u64, Overdrawn> {
        if amount > self.balance {
            return Err(Overdrawn);
        }
        self.balance -= amount;
        Ok(self.balance)
    }

    #[message]
    pub async fn audit(&self, ctx: &mut Context<Self>) -> String {
        format!("{} {}", ctx.id(), self.balance)
    }

    #[message]
    pub fn reset(&mut self) {
        self.balance = 0;
    }

    #[started]
    fn on_start(&mut self) {
        self.balance += 1;
    }
}

#[actor]
pub struct Store<T> {
    items: Vec<T>,
}

#[actor]
impl<T: Clone + Send + 'static> Store<T> {
    #[message]
    pub fn put(&mut self, item: T) {
        self.items.push(item)
    }
    #[message]
    pub fn get(&self, index: usize) -> Option<T> {
        self.items.get(index).cloned()
    }
    #[message]
    pub fn len(&self) -> usize {
        self.items.len()
    }
}

#[tokio::test]
async fn smoke() {
    let system = ActorSystem::new();
    let account = system.spawn(Account { balance: 0 }).unwrap();
    assert_eq!(account.deposit(5).await.unwrap(), 6);
    assert_eq!(account.withdraw(100).await.unwrap(), Err(Overdrawn));
    account.reset().tell().await.unwrap();
    assert!(account.audit().await.unwrap().ends_with(" 0"));
    let store = system.spawn(Store::<String> { items: vec![] }).unwrap();
    store.put("a".into()).await.unwrap();
    assert_eq!(store.get(0).await.unwrap(), Some("a".to_string()));
    system.shutdown().await;
}
