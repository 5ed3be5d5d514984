#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::time::{Duration, Instant};
use rocketmq_testkit::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch() {
    let c = Cluster::builder().namesrvs(2).brokers(2).start().await.unwrap_or_else(|e| panic!("{e}"));
    let b = c.brokers();
    let t0 = Instant::now();
    c.create_topic("ScratchTopic", 4).await.unwrap();
    eprintln!("create_topic took {:?}", t0.elapsed());
    let r = c.topic_route(0, "ScratchTopic").await.unwrap();
    eprintln!("route {r:?}");
    c.kill_broker(0).unwrap();
    let t0 = Instant::now();
    let mut gone = [None, None];
    while t0.elapsed() < Duration::from_secs(150) && gone.iter().any(Option::is_none) {
        for i in 0..2 {
            if gone[i].is_none() {
                let r = c.topic_route(i, "TBW102").await.unwrap().unwrap();
                if !r.lists(&b[0].name, &b[0].addr) && r.brokers.iter().all(|x| x.name != b[0].name) {
                    gone[i] = Some(t0.elapsed());
                    eprintln!("ns {i}: broker-0 gone after {:?}: {r:?}", t0.elapsed());
                    let r2 = c.topic_route(i, "ScratchTopic").await.unwrap();
                    eprintln!("ns {i}: ScratchTopic route now {r2:?}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("gone: {gone:?}");
    let t0 = Instant::now();
    c.start_broker(0).await.unwrap();
    eprintln!("restart took {:?}", t0.elapsed());
    for i in 0..2 {
        eprintln!("ns {i}: ScratchTopic after restart {:?}", c.topic_route(i, "ScratchTopic").await.unwrap());
    }
    c.kill_namesrv(0).unwrap();
    eprintln!("ns 0 killed, broker pids {:?} {:?}", c.broker_pid(0), c.broker_pid(1));
    tokio::time::sleep(Duration::from_secs(2)).await;
    eprintln!("after 2s brokers running: {} {}", c.is_broker_running(0), c.is_broker_running(1));
    let t0 = Instant::now();
    c.start_namesrv(0).await.unwrap();
    eprintln!("start_namesrv took {:?}", t0.elapsed());
    eprintln!("ns 0 ScratchTopic {:?}", c.topic_route(0, "ScratchTopic").await.unwrap());
    let mut c = c;
    c.keep_dir(true);
    eprintln!("dir {}", c.dir().display());
}
