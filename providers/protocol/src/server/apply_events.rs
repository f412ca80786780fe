//! The plugin side of a streamed `ApplyResourceChange` (protocol version 4): runs the
//! provider's apply with a [`Progress`] handle whose reports become `waiting` events, and
//! ends the stream with the response. The apply runs as the stream is polled, so a host
//! that goes away (the stream is dropped) cancels it, as it did a unary call.

use std::pin::Pin;
use std::task::{Context, Poll};

use corral_core::provider::Progress;
use futures::Stream;
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tonic::Status;

use crate::wire::apply_resource_change::{Event, Response, Waiting, event};

/// The events of one apply: the statuses reported so far, then the response.
pub(crate) struct ApplyEvents {
    apply: Option<BoxFuture<'static, Response>>,
    statuses: mpsc::UnboundedReceiver<String>,
}

impl ApplyEvents {
    /// `run` gets the handle to put in the request and answers with the wire response.
    pub(crate) fn new(run: impl FnOnce(Progress) -> BoxFuture<'static, Response>) -> ApplyEvents {
        let (tx, statuses) = mpsc::unbounded_channel();
        let progress = Progress::new(move |status| {
            let _ = tx.send(status.to_string());
        });
        ApplyEvents { apply: Some(run(progress)), statuses }
    }
}

impl Stream for ApplyEvents {
    type Item = Result<Event, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(apply) = &mut this.apply else { return Poll::Ready(None) };
        // Statuses first: one reported before the apply finished is sent before the response.
        if let Poll::Ready(Some(status)) = this.statuses.poll_recv(cx) {
            return Poll::Ready(Some(Ok(Event { event: Some(event::Event::Waiting(Waiting { status })) })));
        }
        match apply.as_mut().poll(cx) {
            Poll::Ready(response) => {
                this.apply = None;
                Poll::Ready(Some(Ok(Event { event: Some(event::Event::Response(response)) })))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
