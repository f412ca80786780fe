//! AWS Signature Version 4, as KMR and Kingsoft VPC use it: signing (client) and
//! verification (sandbox).
