//! The schema types both ends know, by what a message is about, so that values of exactly
//! those types travel without their type (protocol version 2): every resource value of a
//! plan would otherwise carry, and have parsed, its whole object type.

use std::collections::HashMap;

use corral_core::schema::ProviderSchema;
use corral_core::value::Type;

#[derive(Debug, Clone)]
pub struct SchemaTypes {
    provider: Type,
    resources: HashMap<String, Type>,
    data_sources: HashMap<String, Type>,
}

impl SchemaTypes {
    pub fn new(schema: &ProviderSchema) -> SchemaTypes {
        let types = |schemas: &std::collections::BTreeMap<String, corral_core::schema::ResourceSchema>| {
            schemas.iter().map(|(name, schema)| (name.clone(), schema.block.ty())).collect()
        };
        SchemaTypes {
            provider: schema.provider.ty(),
            resources: types(&schema.resources),
            data_sources: types(&schema.data_sources),
        }
    }

    /// The provider configuration's type (`ConfigureProvider`).
    pub fn provider(&self) -> Option<&Type> {
        Some(&self.provider)
    }

    /// A resource type's (the messages about managed resources).
    pub fn resource(&self, type_name: &str) -> Option<&Type> {
        self.resources.get(type_name)
    }

    /// A data source's (`ReadDataSource`).
    pub fn data_source(&self, type_name: &str) -> Option<&Type> {
        self.data_sources.get(type_name)
    }
}
