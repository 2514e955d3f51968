//! `settlement audit`: a requester's independent check of every charge made
//! against one of its authorizations.
