//! The `Coordinator` gRPC service that automation calls, and the one place where the
//! coordinator's errors become gRPC statuses.

use std::pin::Pin;

use crossbind_proto::{
    Association, AssociationEvent, CreateAssociationRequest, GetAssociationRequest,
    ListAssociationsRequest, ListAssociationsResponse, WatchAssociationRequest,
    coordinator_server::Coordinator,
};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tracing::{Instrument, debug, info_span};

use crate::{error::RequestError, workflow::Engine};

/// Serves the automation API over the workflow engine.
#[derive(Clone, Debug)]
pub struct CoordinatorService {
    engine: Engine,
}

type EventStream = Pin<Box<dyn Stream<Item = Result<AssociationEvent, Status>> + Send>>;

// === impl CoordinatorService ===

impl CoordinatorService {
    /// A service over `engine`.
    pub fn new(engine: Engine) -> Self {
        Self { engine }
    }
}

#[tonic::async_trait]
impl Coordinator for CoordinatorService {
    async fn create_association(
        &self,
        request: Request<CreateAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let association = self.engine.start(request.into_inner()).map_err(to_status)?;
        Ok(Response::new(association))
    }

    async fn get_association(
        &self,
        request: Request<GetAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let id = request.into_inner().id;
        self.engine
            .store()
            .get(&id)
            .map(Response::new)
            .ok_or_else(|| to_status(RequestError::NotFound(id)))
    }

    async fn list_associations(
        &self,
        _request: Request<ListAssociationsRequest>,
    ) -> Result<Response<ListAssociationsResponse>, Status> {
        Ok(Response::new(ListAssociationsResponse {
            associations: self.engine.store().list(),
        }))
    }

    type WatchAssociationStream = EventStream;

    async fn watch_association(
        &self,
        request: Request<WatchAssociationRequest>,
    ) -> Result<Response<Self::WatchAssociationStream>, Status> {
        let id = request.into_inner().id;
        let store = self.engine.store().clone();
        let mut changes = store
            .subscribe(&id)
            .ok_or_else(|| to_status(RequestError::NotFound(id.clone())))?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let span = info_span!("watch", association.id = %id);
        tokio::spawn(
            async move {
                let mut sent = 0u64;
                loop {
                    changes.borrow_and_update();
                    let Some((events, finished)) = store.events_after(&id, sent) else {
                        return;
                    };
                    for event in events {
                        sent = event.sequence;
                        if tx.send(Ok(event)).await.is_err() {
                            debug!("watcher went away");
                            return;
                        }
                    }
                    if finished || changes.changed().await.is_err() {
                        return;
                    }
                }
            }
            .instrument(span),
        );
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        Ok(Response::new(Box::pin(stream)))
    }
}

/// The one mapping from request errors to gRPC statuses.
pub fn to_status(error: RequestError) -> Status {
    match error {
        RequestError::InvalidArgument(message) => Status::invalid_argument(message),
        RequestError::FailedPrecondition(message) => Status::failed_precondition(message),
        RequestError::NotFound(id) => Status::not_found(format!(
            "association {id} not found: list them with `crossbind list`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn each_error_maps_to_its_code() {
        let cases = [
            (
                RequestError::InvalidArgument("cluster_id: empty".into()),
                Code::InvalidArgument,
            ),
            (
                RequestError::FailedPrecondition("no agent".into()),
                Code::FailedPrecondition,
            ),
            (RequestError::NotFound("x".into()), Code::NotFound),
        ];
        for (error, code) in cases {
            let text = error.to_string();
            let status = to_status(error);
            assert_eq!(status.code(), code);
            assert!(
                status.message().contains(
                    text.trim_start_matches("association ")
                        .split(' ')
                        .next()
                        .unwrap()
                )
            );
        }
    }
}
