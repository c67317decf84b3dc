//! The `Coordinator` gRPC service that automation calls, and the one place where the
//! coordinator's errors become gRPC statuses.

use std::pin::Pin;

use crossbind_proto::{
    Association, AssociationEvent, CancelAssociationRequest, CheckDriftRequest,
    ConfirmInitializationRequest, CreateAssociationRequest, DiagnoseRequest, Diagnosis,
    DissociateAssociationRequest, DriftReport, GetAssociationRequest, ListAssociationsRequest,
    ListAssociationsResponse, Plan, RetryAssociationRequest, WatchAssociationRequest,
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

/// The calling client's identity, as its certificate names it.
fn caller<T>(request: &Request<T>) -> String {
    crossbind_tls::server::peer_identity(request)
        .map(|id| id.uri())
        .unwrap_or_else(|| "unknown client".to_string())
}

#[tonic::async_trait]
impl Coordinator for CoordinatorService {
    async fn create_association(
        &self,
        request: Request<CreateAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let client = caller(&request);
        let association = self
            .engine
            .create(request.into_inner(), &client)
            .map_err(to_status)?;
        Ok(Response::new(association))
    }

    async fn get_association(
        &self,
        request: Request<GetAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let id = request.into_inner().id;
        self.engine
            .records()
            .get(&id)
            .map(Response::new)
            .ok_or_else(|| to_status(RequestError::NotFound(id)))
    }

    async fn list_associations(
        &self,
        _request: Request<ListAssociationsRequest>,
    ) -> Result<Response<ListAssociationsResponse>, Status> {
        Ok(Response::new(ListAssociationsResponse {
            associations: self.engine.records().list(),
        }))
    }

    type WatchAssociationStream = EventStream;

    async fn watch_association(
        &self,
        request: Request<WatchAssociationRequest>,
    ) -> Result<Response<Self::WatchAssociationStream>, Status> {
        let id = request.into_inner().id;
        let records = self.engine.records().clone();
        let mut changes = records
            .subscribe(&id)
            .ok_or_else(|| to_status(RequestError::NotFound(id.clone())))?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let span = info_span!("watch", association.id = %id);
        tokio::spawn(
            async move {
                let mut sent = 0u64;
                loop {
                    changes.borrow_and_update();
                    let Some((events, finished)) = records.events_after(&id, sent) else {
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

    async fn plan_association(
        &self,
        request: Request<CreateAssociationRequest>,
    ) -> Result<Response<Plan>, Status> {
        let plan = self
            .engine
            .plan(request.into_inner())
            .await
            .map_err(to_status)?;
        Ok(Response::new(plan))
    }

    async fn cancel_association(
        &self,
        request: Request<CancelAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let client = caller(&request);
        let id = request.into_inner().id;
        self.engine
            .cancel(&id, &client)
            .map(Response::new)
            .map_err(to_status)
    }

    async fn retry_association(
        &self,
        request: Request<RetryAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let client = caller(&request);
        let id = request.into_inner().id;
        self.engine
            .retry(&id, &client)
            .map(Response::new)
            .map_err(to_status)
    }

    async fn dissociate_association(
        &self,
        request: Request<DissociateAssociationRequest>,
    ) -> Result<Response<Association>, Status> {
        let client = caller(&request);
        let id = request.into_inner().id;
        self.engine
            .dissociate(&id, &client)
            .map(Response::new)
            .map_err(to_status)
    }

    async fn check_drift(
        &self,
        request: Request<CheckDriftRequest>,
    ) -> Result<Response<DriftReport>, Status> {
        let id = request.into_inner().id;
        self.engine
            .check_drift(&id)
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn confirm_initialization(
        &self,
        request: Request<ConfirmInitializationRequest>,
    ) -> Result<Response<Association>, Status> {
        let client = caller(&request);
        let request = request.into_inner();
        self.engine
            .confirm(&request.id, &client, request.now, request.failed.as_deref())
            .map(Response::new)
            .map_err(to_status)
    }

    async fn diagnose(
        &self,
        request: Request<DiagnoseRequest>,
    ) -> Result<Response<Diagnosis>, Status> {
        let id = request.into_inner().id;
        self.engine
            .diagnose(&id)
            .await
            .map(Response::new)
            .map_err(to_status)
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
        RequestError::AlreadyExists(message) => Status::already_exists(message),
        RequestError::Unavailable(message) => {
            tracing::warn!("refusing a request: {message}");
            Status::unavailable("the coordinator cannot store records right now; retry later")
        }
        RequestError::Agent {
            step,
            code,
            message,
        } => Status::new(code, format!("{step}: {message}")),
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
                "cluster_id: empty",
            ),
            (
                RequestError::FailedPrecondition("no agent".into()),
                Code::FailedPrecondition,
                "no agent",
            ),
            (RequestError::NotFound("x1".into()), Code::NotFound, "x1"),
            (
                RequestError::AlreadyExists("held by a1".into()),
                Code::AlreadyExists,
                "held by a1",
            ),
            (
                RequestError::Unavailable("disk full at /secret/path".into()),
                Code::Unavailable,
                "retry later",
            ),
            (
                RequestError::from_agent("trust", &Status::unavailable("throttled")),
                Code::Unavailable,
                "trust: throttled",
            ),
        ];
        for (error, code, text) in cases {
            let status = to_status(error);
            assert_eq!(status.code(), code);
            assert!(status.message().contains(text), "{}", status.message());
        }
        let status = to_status(RequestError::Unavailable(
            "disk full at /secret/path".into(),
        ));
        assert!(!status.message().contains("/secret/path"));
    }
}
