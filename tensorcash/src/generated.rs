pub use root::*;

const _: () = ::planus::check_version_compatibility("planus-1.3.0");

/// The root namespace
///
/// Generated from these locations:
/// * File `schema/proof.fbs`
#[no_implicit_prelude]
#[allow(clippy::needless_lifetimes)]
mod root {
    /// The namespace `proof`
    ///
    /// Generated from these locations:
    /// * File `schema/proof.fbs`
    /// * File `schema/validation.fbs`
    /// * File `schema/blockheader.fbs`
    pub mod proof {
        /// The table `FloatArray` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `FloatArray` in the file `schema/proof.fbs:7`
        #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
        pub struct FloatArray {
            /// The field `values` in the table `FloatArray`
            pub values: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for FloatArray {
            fn default() -> Self {
                Self {
                    values: ::core::default::Default::default(),
                }
            }
        }

        impl FloatArray {
            /// Creates a [FloatArrayBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> FloatArrayBuilder<()> {
                FloatArrayBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_values: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            ) -> ::planus::Offset<Self> {
                let prepared_values = field_values.prepare(builder);

                let mut table_writer: ::planus::table_writer::TableWriter<6> =
                    ::core::default::Default::default();
                if prepared_values.is_some() {
                    table_writer.write_entry::<::planus::Offset<[f32]>>(0);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_values) = prepared_values {
                            object_writer.write::<_, _, 4>(&prepared_values);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<FloatArray>> for FloatArray {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<FloatArray> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<FloatArray>> for FloatArray {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<FloatArray>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<FloatArray> for FloatArray {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<FloatArray> {
                FloatArray::create(builder, &self.values)
            }
        }

        /// Builder for serializing an instance of the [FloatArray] type.
        ///
        /// Can be created using the [FloatArray::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct FloatArrayBuilder<State>(State);

        impl FloatArrayBuilder<()> {
            /// Setter for the [`values` field](FloatArray#structfield.values).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn values<T0>(self, value: T0) -> FloatArrayBuilder<(T0,)>
            where
                T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            {
                FloatArrayBuilder((value,))
            }

            /// Sets the [`values` field](FloatArray#structfield.values) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn values_as_null(self) -> FloatArrayBuilder<((),)> {
                self.values(())
            }
        }

        impl<T0> FloatArrayBuilder<(T0,)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [FloatArray].
            #[inline]
            pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<FloatArray>
            where
                Self: ::planus::WriteAsOffset<FloatArray>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>>
            ::planus::WriteAs<::planus::Offset<FloatArray>> for FloatArrayBuilder<(T0,)>
        {
            type Prepared = ::planus::Offset<FloatArray>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<FloatArray> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>>
            ::planus::WriteAsOptional<::planus::Offset<FloatArray>> for FloatArrayBuilder<(T0,)>
        {
            type Prepared = ::planus::Offset<FloatArray>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<FloatArray>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<T0: ::planus::WriteAsOptional<::planus::Offset<[f32]>>>
            ::planus::WriteAsOffset<FloatArray> for FloatArrayBuilder<(T0,)>
        {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<FloatArray> {
                let (v0,) = &self.0;
                FloatArray::create(builder, v0)
            }
        }

        /// Reference to a deserialized [FloatArray].
        #[derive(Copy, Clone)]
        pub struct FloatArrayRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> FloatArrayRef<'a> {
            /// Getter for the [`values` field](FloatArray#structfield.values).
            #[inline]
            pub fn values(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
                self.0.access(0, "FloatArray", "values")
            }
        }

        impl<'a> ::core::fmt::Debug for FloatArrayRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("FloatArrayRef");
                if let ::core::option::Option::Some(field_values) = self.values().transpose() {
                    f.field("values", &field_values);
                }
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<FloatArrayRef<'a>> for FloatArray {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: FloatArrayRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    values: if let ::core::option::Option::Some(values) = value.values()? {
                        ::core::option::Option::Some(values.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for FloatArrayRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for FloatArrayRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[FloatArrayRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<FloatArray>> for FloatArray {
            type Value = ::planus::Offset<FloatArray>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<FloatArray>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for FloatArrayRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[FloatArrayRef]", "read_as_root", 0)
                })
            }
        }

        /// The table `UIntArray` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `UIntArray` in the file `schema/proof.fbs:12`
        #[derive(
            Clone,
            Debug,
            PartialEq,
            PartialOrd,
            Eq,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        pub struct UIntArray {
            /// The field `values` in the table `UIntArray`
            pub values: ::core::option::Option<::planus::alloc::vec::Vec<u32>>,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for UIntArray {
            fn default() -> Self {
                Self {
                    values: ::core::default::Default::default(),
                }
            }
        }

        impl UIntArray {
            /// Creates a [UIntArrayBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> UIntArrayBuilder<()> {
                UIntArrayBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_values: impl ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
            ) -> ::planus::Offset<Self> {
                let prepared_values = field_values.prepare(builder);

                let mut table_writer: ::planus::table_writer::TableWriter<6> =
                    ::core::default::Default::default();
                if prepared_values.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u32]>>(0);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_values) = prepared_values {
                            object_writer.write::<_, _, 4>(&prepared_values);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<UIntArray>> for UIntArray {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<UIntArray> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<UIntArray>> for UIntArray {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<UIntArray>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<UIntArray> for UIntArray {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<UIntArray> {
                UIntArray::create(builder, &self.values)
            }
        }

        /// Builder for serializing an instance of the [UIntArray] type.
        ///
        /// Can be created using the [UIntArray::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct UIntArrayBuilder<State>(State);

        impl UIntArrayBuilder<()> {
            /// Setter for the [`values` field](UIntArray#structfield.values).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn values<T0>(self, value: T0) -> UIntArrayBuilder<(T0,)>
            where
                T0: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
            {
                UIntArrayBuilder((value,))
            }

            /// Sets the [`values` field](UIntArray#structfield.values) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn values_as_null(self) -> UIntArrayBuilder<((),)> {
                self.values(())
            }
        }

        impl<T0> UIntArrayBuilder<(T0,)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [UIntArray].
            #[inline]
            pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<UIntArray>
            where
                Self: ::planus::WriteAsOffset<UIntArray>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<T0: ::planus::WriteAsOptional<::planus::Offset<[u32]>>>
            ::planus::WriteAs<::planus::Offset<UIntArray>> for UIntArrayBuilder<(T0,)>
        {
            type Prepared = ::planus::Offset<UIntArray>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<UIntArray> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<T0: ::planus::WriteAsOptional<::planus::Offset<[u32]>>>
            ::planus::WriteAsOptional<::planus::Offset<UIntArray>> for UIntArrayBuilder<(T0,)>
        {
            type Prepared = ::planus::Offset<UIntArray>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<UIntArray>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<T0: ::planus::WriteAsOptional<::planus::Offset<[u32]>>>
            ::planus::WriteAsOffset<UIntArray> for UIntArrayBuilder<(T0,)>
        {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<UIntArray> {
                let (v0,) = &self.0;
                UIntArray::create(builder, v0)
            }
        }

        /// Reference to a deserialized [UIntArray].
        #[derive(Copy, Clone)]
        pub struct UIntArrayRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> UIntArrayRef<'a> {
            /// Getter for the [`values` field](UIntArray#structfield.values).
            #[inline]
            pub fn values(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, u32>>> {
                self.0.access(0, "UIntArray", "values")
            }
        }

        impl<'a> ::core::fmt::Debug for UIntArrayRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("UIntArrayRef");
                if let ::core::option::Option::Some(field_values) = self.values().transpose() {
                    f.field("values", &field_values);
                }
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<UIntArrayRef<'a>> for UIntArray {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: UIntArrayRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    values: if let ::core::option::Option::Some(values) = value.values()? {
                        ::core::option::Option::Some(values.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for UIntArrayRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for UIntArrayRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[UIntArrayRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<UIntArray>> for UIntArray {
            type Value = ::planus::Offset<UIntArray>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<UIntArray>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for UIntArrayRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[UIntArrayRef]", "read_as_root", 0)
                })
            }
        }

        /// The table `Proof` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `Proof` in the file `schema/proof.fbs:17`
        #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
        pub struct Proof {
            /// The field `version` in the table `Proof`
            pub version: u8,
            /// The field `tick` in the table `Proof`
            pub tick: u64,
            /// The field `timestamp` in the table `Proof`
            pub timestamp: u64,
            /// The field `target` in the table `Proof`
            pub target: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `vdf` in the table `Proof`
            pub vdf: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `hash` in the table `Proof`
            pub hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `block_hash` in the table `Proof`
            pub block_hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `header_prefix` in the table `Proof`
            pub header_prefix: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `is_solution` in the table `Proof`
            pub is_solution: bool,
            /// The field `model_identifier` in the table `Proof`
            pub model_identifier: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `compute_precision` in the table `Proof`
            pub compute_precision: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `ipfs_cid` in the table `Proof`
            pub ipfs_cid: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `extra_flags` in the table `Proof`
            pub extra_flags: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `temperature` in the table `Proof`
            pub temperature: f32,
            /// The field `top_p` in the table `Proof`
            pub top_p: f32,
            /// The field `top_k` in the table `Proof`
            pub top_k: u32,
            /// The field `repetition_penalty` in the table `Proof`
            pub repetition_penalty: f32,
            /// The field `chosen_tokens` in the table `Proof`
            pub chosen_tokens: ::core::option::Option<::planus::alloc::vec::Vec<u32>>,
            /// The field `chosen_probs` in the table `Proof`
            pub chosen_probs: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
            /// The field `sampling_u` in the table `Proof`
            pub sampling_u: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
            /// The field `softmax_normalizers` in the table `Proof`
            pub softmax_normalizers: ::core::option::Option<::planus::alloc::vec::Vec<f32>>,
            /// The field `prompt_tokens` in the table `Proof`
            pub prompt_tokens: ::core::option::Option<::planus::alloc::vec::Vec<u32>>,
            /// The field `pad_mask` in the table `Proof`
            pub pad_mask: ::core::option::Option<::planus::alloc::vec::Vec<bool>>,
            /// The field `topk_logits` in the table `Proof`
            pub topk_logits: ::core::option::Option<::planus::alloc::vec::Vec<self::FloatArray>>,
            /// The field `topk_indices` in the table `Proof`
            pub topk_indices: ::core::option::Option<::planus::alloc::vec::Vec<self::UIntArray>>,
            /// The field `logsumexp_stats` in the table `Proof`
            pub logsumexp_stats:
                ::core::option::Option<::planus::alloc::vec::Vec<self::FloatArray>>,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for Proof {
            fn default() -> Self {
                Self {
                    version: 0,
                    tick: 0,
                    timestamp: 0,
                    target: ::core::default::Default::default(),
                    vdf: ::core::default::Default::default(),
                    hash: ::core::default::Default::default(),
                    block_hash: ::core::default::Default::default(),
                    header_prefix: ::core::default::Default::default(),
                    is_solution: false,
                    model_identifier: ::core::default::Default::default(),
                    compute_precision: ::core::default::Default::default(),
                    ipfs_cid: ::core::default::Default::default(),
                    extra_flags: ::core::default::Default::default(),
                    temperature: 0.0,
                    top_p: 0.0,
                    top_k: 0,
                    repetition_penalty: 0.0,
                    chosen_tokens: ::core::default::Default::default(),
                    chosen_probs: ::core::default::Default::default(),
                    sampling_u: ::core::default::Default::default(),
                    softmax_normalizers: ::core::default::Default::default(),
                    prompt_tokens: ::core::default::Default::default(),
                    pad_mask: ::core::default::Default::default(),
                    topk_logits: ::core::default::Default::default(),
                    topk_indices: ::core::default::Default::default(),
                    logsumexp_stats: ::core::default::Default::default(),
                }
            }
        }

        impl Proof {
            /// Creates a [ProofBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> ProofBuilder<()> {
                ProofBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_version: impl ::planus::WriteAsDefault<u8, u8>,
                field_tick: impl ::planus::WriteAsDefault<u64, u64>,
                field_timestamp: impl ::planus::WriteAsDefault<u64, u64>,
                field_target: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_vdf: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_block_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_header_prefix: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_is_solution: impl ::planus::WriteAsDefault<bool, bool>,
                field_model_identifier: impl ::planus::WriteAsOptional<
                    ::planus::Offset<::core::primitive::str>,
                >,
                field_compute_precision: impl ::planus::WriteAsOptional<
                    ::planus::Offset<::core::primitive::str>,
                >,
                field_ipfs_cid: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                field_extra_flags: impl ::planus::WriteAsOptional<
                    ::planus::Offset<::core::primitive::str>,
                >,
                field_temperature: impl ::planus::WriteAsDefault<f32, f32>,
                field_top_p: impl ::planus::WriteAsDefault<f32, f32>,
                field_top_k: impl ::planus::WriteAsDefault<u32, u32>,
                field_repetition_penalty: impl ::planus::WriteAsDefault<f32, f32>,
                field_chosen_tokens: impl ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                field_chosen_probs: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                field_sampling_u: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                field_softmax_normalizers: impl ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                field_prompt_tokens: impl ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                field_pad_mask: impl ::planus::WriteAsOptional<::planus::Offset<[bool]>>,
                field_topk_logits: impl ::planus::WriteAsOptional<
                    ::planus::Offset<[::planus::Offset<self::FloatArray>]>,
                >,
                field_topk_indices: impl ::planus::WriteAsOptional<
                    ::planus::Offset<[::planus::Offset<self::UIntArray>]>,
                >,
                field_logsumexp_stats: impl ::planus::WriteAsOptional<
                    ::planus::Offset<[::planus::Offset<self::FloatArray>]>,
                >,
            ) -> ::planus::Offset<Self> {
                let prepared_version = field_version.prepare(builder, &0);
                let prepared_tick = field_tick.prepare(builder, &0);
                let prepared_timestamp = field_timestamp.prepare(builder, &0);
                let prepared_target = field_target.prepare(builder);
                let prepared_vdf = field_vdf.prepare(builder);
                let prepared_hash = field_hash.prepare(builder);
                let prepared_block_hash = field_block_hash.prepare(builder);
                let prepared_header_prefix = field_header_prefix.prepare(builder);
                let prepared_is_solution = field_is_solution.prepare(builder, &false);
                let prepared_model_identifier = field_model_identifier.prepare(builder);
                let prepared_compute_precision = field_compute_precision.prepare(builder);
                let prepared_ipfs_cid = field_ipfs_cid.prepare(builder);
                let prepared_extra_flags = field_extra_flags.prepare(builder);
                let prepared_temperature = field_temperature.prepare(builder, &0.0);
                let prepared_top_p = field_top_p.prepare(builder, &0.0);
                let prepared_top_k = field_top_k.prepare(builder, &0);
                let prepared_repetition_penalty = field_repetition_penalty.prepare(builder, &0.0);
                let prepared_chosen_tokens = field_chosen_tokens.prepare(builder);
                let prepared_chosen_probs = field_chosen_probs.prepare(builder);
                let prepared_sampling_u = field_sampling_u.prepare(builder);
                let prepared_softmax_normalizers = field_softmax_normalizers.prepare(builder);
                let prepared_prompt_tokens = field_prompt_tokens.prepare(builder);
                let prepared_pad_mask = field_pad_mask.prepare(builder);
                let prepared_topk_logits = field_topk_logits.prepare(builder);
                let prepared_topk_indices = field_topk_indices.prepare(builder);
                let prepared_logsumexp_stats = field_logsumexp_stats.prepare(builder);

                let mut table_writer: ::planus::table_writer::TableWriter<56> =
                    ::core::default::Default::default();
                if prepared_tick.is_some() {
                    table_writer.write_entry::<u64>(1);
                }
                if prepared_timestamp.is_some() {
                    table_writer.write_entry::<u64>(2);
                }
                if prepared_target.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(3);
                }
                if prepared_vdf.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(4);
                }
                if prepared_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(5);
                }
                if prepared_block_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(6);
                }
                if prepared_header_prefix.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(7);
                }
                if prepared_model_identifier.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(9);
                }
                if prepared_compute_precision.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(10);
                }
                if prepared_ipfs_cid.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(11);
                }
                if prepared_extra_flags.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(12);
                }
                if prepared_temperature.is_some() {
                    table_writer.write_entry::<f32>(13);
                }
                if prepared_top_p.is_some() {
                    table_writer.write_entry::<f32>(14);
                }
                if prepared_top_k.is_some() {
                    table_writer.write_entry::<u32>(15);
                }
                if prepared_repetition_penalty.is_some() {
                    table_writer.write_entry::<f32>(16);
                }
                if prepared_chosen_tokens.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u32]>>(17);
                }
                if prepared_chosen_probs.is_some() {
                    table_writer.write_entry::<::planus::Offset<[f32]>>(18);
                }
                if prepared_sampling_u.is_some() {
                    table_writer.write_entry::<::planus::Offset<[f32]>>(19);
                }
                if prepared_softmax_normalizers.is_some() {
                    table_writer.write_entry::<::planus::Offset<[f32]>>(20);
                }
                if prepared_prompt_tokens.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u32]>>(21);
                }
                if prepared_pad_mask.is_some() {
                    table_writer.write_entry::<::planus::Offset<[bool]>>(22);
                }
                if prepared_topk_logits.is_some() {
                    table_writer
                        .write_entry::<::planus::Offset<[::planus::Offset<self::FloatArray>]>>(23);
                }
                if prepared_topk_indices.is_some() {
                    table_writer
                        .write_entry::<::planus::Offset<[::planus::Offset<self::UIntArray>]>>(24);
                }
                if prepared_logsumexp_stats.is_some() {
                    table_writer
                        .write_entry::<::planus::Offset<[::planus::Offset<self::FloatArray>]>>(25);
                }
                if prepared_version.is_some() {
                    table_writer.write_entry::<u8>(0);
                }
                if prepared_is_solution.is_some() {
                    table_writer.write_entry::<bool>(8);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_tick) = prepared_tick {
                            object_writer.write::<_, _, 8>(&prepared_tick);
                        }
                        if let ::core::option::Option::Some(prepared_timestamp) = prepared_timestamp
                        {
                            object_writer.write::<_, _, 8>(&prepared_timestamp);
                        }
                        if let ::core::option::Option::Some(prepared_target) = prepared_target {
                            object_writer.write::<_, _, 4>(&prepared_target);
                        }
                        if let ::core::option::Option::Some(prepared_vdf) = prepared_vdf {
                            object_writer.write::<_, _, 4>(&prepared_vdf);
                        }
                        if let ::core::option::Option::Some(prepared_hash) = prepared_hash {
                            object_writer.write::<_, _, 4>(&prepared_hash);
                        }
                        if let ::core::option::Option::Some(prepared_block_hash) =
                            prepared_block_hash
                        {
                            object_writer.write::<_, _, 4>(&prepared_block_hash);
                        }
                        if let ::core::option::Option::Some(prepared_header_prefix) =
                            prepared_header_prefix
                        {
                            object_writer.write::<_, _, 4>(&prepared_header_prefix);
                        }
                        if let ::core::option::Option::Some(prepared_model_identifier) =
                            prepared_model_identifier
                        {
                            object_writer.write::<_, _, 4>(&prepared_model_identifier);
                        }
                        if let ::core::option::Option::Some(prepared_compute_precision) =
                            prepared_compute_precision
                        {
                            object_writer.write::<_, _, 4>(&prepared_compute_precision);
                        }
                        if let ::core::option::Option::Some(prepared_ipfs_cid) = prepared_ipfs_cid {
                            object_writer.write::<_, _, 4>(&prepared_ipfs_cid);
                        }
                        if let ::core::option::Option::Some(prepared_extra_flags) =
                            prepared_extra_flags
                        {
                            object_writer.write::<_, _, 4>(&prepared_extra_flags);
                        }
                        if let ::core::option::Option::Some(prepared_temperature) =
                            prepared_temperature
                        {
                            object_writer.write::<_, _, 4>(&prepared_temperature);
                        }
                        if let ::core::option::Option::Some(prepared_top_p) = prepared_top_p {
                            object_writer.write::<_, _, 4>(&prepared_top_p);
                        }
                        if let ::core::option::Option::Some(prepared_top_k) = prepared_top_k {
                            object_writer.write::<_, _, 4>(&prepared_top_k);
                        }
                        if let ::core::option::Option::Some(prepared_repetition_penalty) =
                            prepared_repetition_penalty
                        {
                            object_writer.write::<_, _, 4>(&prepared_repetition_penalty);
                        }
                        if let ::core::option::Option::Some(prepared_chosen_tokens) =
                            prepared_chosen_tokens
                        {
                            object_writer.write::<_, _, 4>(&prepared_chosen_tokens);
                        }
                        if let ::core::option::Option::Some(prepared_chosen_probs) =
                            prepared_chosen_probs
                        {
                            object_writer.write::<_, _, 4>(&prepared_chosen_probs);
                        }
                        if let ::core::option::Option::Some(prepared_sampling_u) =
                            prepared_sampling_u
                        {
                            object_writer.write::<_, _, 4>(&prepared_sampling_u);
                        }
                        if let ::core::option::Option::Some(prepared_softmax_normalizers) =
                            prepared_softmax_normalizers
                        {
                            object_writer.write::<_, _, 4>(&prepared_softmax_normalizers);
                        }
                        if let ::core::option::Option::Some(prepared_prompt_tokens) =
                            prepared_prompt_tokens
                        {
                            object_writer.write::<_, _, 4>(&prepared_prompt_tokens);
                        }
                        if let ::core::option::Option::Some(prepared_pad_mask) = prepared_pad_mask {
                            object_writer.write::<_, _, 4>(&prepared_pad_mask);
                        }
                        if let ::core::option::Option::Some(prepared_topk_logits) =
                            prepared_topk_logits
                        {
                            object_writer.write::<_, _, 4>(&prepared_topk_logits);
                        }
                        if let ::core::option::Option::Some(prepared_topk_indices) =
                            prepared_topk_indices
                        {
                            object_writer.write::<_, _, 4>(&prepared_topk_indices);
                        }
                        if let ::core::option::Option::Some(prepared_logsumexp_stats) =
                            prepared_logsumexp_stats
                        {
                            object_writer.write::<_, _, 4>(&prepared_logsumexp_stats);
                        }
                        if let ::core::option::Option::Some(prepared_version) = prepared_version {
                            object_writer.write::<_, _, 1>(&prepared_version);
                        }
                        if let ::core::option::Option::Some(prepared_is_solution) =
                            prepared_is_solution
                        {
                            object_writer.write::<_, _, 1>(&prepared_is_solution);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<Proof>> for Proof {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Proof> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<Proof>> for Proof {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<Proof>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<Proof> for Proof {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Proof> {
                Proof::create(
                    builder,
                    self.version,
                    self.tick,
                    self.timestamp,
                    &self.target,
                    &self.vdf,
                    &self.hash,
                    &self.block_hash,
                    &self.header_prefix,
                    self.is_solution,
                    &self.model_identifier,
                    &self.compute_precision,
                    &self.ipfs_cid,
                    &self.extra_flags,
                    self.temperature,
                    self.top_p,
                    self.top_k,
                    self.repetition_penalty,
                    &self.chosen_tokens,
                    &self.chosen_probs,
                    &self.sampling_u,
                    &self.softmax_normalizers,
                    &self.prompt_tokens,
                    &self.pad_mask,
                    &self.topk_logits,
                    &self.topk_indices,
                    &self.logsumexp_stats,
                )
            }
        }

        /// Builder for serializing an instance of the [Proof] type.
        ///
        /// Can be created using the [Proof::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct ProofBuilder<State>(State);

        impl ProofBuilder<()> {
            /// Setter for the [`version` field](Proof#structfield.version).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn version<T0>(self, value: T0) -> ProofBuilder<(T0,)>
            where
                T0: ::planus::WriteAsDefault<u8, u8>,
            {
                ProofBuilder((value,))
            }

            /// Sets the [`version` field](Proof#structfield.version) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn version_as_default(self) -> ProofBuilder<(::planus::DefaultValue,)> {
                self.version(::planus::DefaultValue)
            }
        }

        impl<T0> ProofBuilder<(T0,)> {
            /// Setter for the [`tick` field](Proof#structfield.tick).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn tick<T1>(self, value: T1) -> ProofBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsDefault<u64, u64>,
            {
                let (v0,) = self.0;
                ProofBuilder((v0, value))
            }

            /// Sets the [`tick` field](Proof#structfield.tick) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn tick_as_default(self) -> ProofBuilder<(T0, ::planus::DefaultValue)> {
                self.tick(::planus::DefaultValue)
            }
        }

        impl<T0, T1> ProofBuilder<(T0, T1)> {
            /// Setter for the [`timestamp` field](Proof#structfield.timestamp).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn timestamp<T2>(self, value: T2) -> ProofBuilder<(T0, T1, T2)>
            where
                T2: ::planus::WriteAsDefault<u64, u64>,
            {
                let (v0, v1) = self.0;
                ProofBuilder((v0, v1, value))
            }

            /// Sets the [`timestamp` field](Proof#structfield.timestamp) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn timestamp_as_default(self) -> ProofBuilder<(T0, T1, ::planus::DefaultValue)> {
                self.timestamp(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2> ProofBuilder<(T0, T1, T2)> {
            /// Setter for the [`target` field](Proof#structfield.target).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn target<T3>(self, value: T3) -> ProofBuilder<(T0, T1, T2, T3)>
            where
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2) = self.0;
                ProofBuilder((v0, v1, v2, value))
            }

            /// Sets the [`target` field](Proof#structfield.target) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn target_as_null(self) -> ProofBuilder<(T0, T1, T2, ())> {
                self.target(())
            }
        }

        impl<T0, T1, T2, T3> ProofBuilder<(T0, T1, T2, T3)> {
            /// Setter for the [`vdf` field](Proof#structfield.vdf).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn vdf<T4>(self, value: T4) -> ProofBuilder<(T0, T1, T2, T3, T4)>
            where
                T4: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3) = self.0;
                ProofBuilder((v0, v1, v2, v3, value))
            }

            /// Sets the [`vdf` field](Proof#structfield.vdf) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn vdf_as_null(self) -> ProofBuilder<(T0, T1, T2, T3, ())> {
                self.vdf(())
            }
        }

        impl<T0, T1, T2, T3, T4> ProofBuilder<(T0, T1, T2, T3, T4)> {
            /// Setter for the [`hash` field](Proof#structfield.hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash<T5>(self, value: T5) -> ProofBuilder<(T0, T1, T2, T3, T4, T5)>
            where
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3, v4) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, value))
            }

            /// Sets the [`hash` field](Proof#structfield.hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash_as_null(self) -> ProofBuilder<(T0, T1, T2, T3, T4, ())> {
                self.hash(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5> ProofBuilder<(T0, T1, T2, T3, T4, T5)> {
            /// Setter for the [`block_hash` field](Proof#structfield.block_hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn block_hash<T6>(self, value: T6) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6)>
            where
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3, v4, v5) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, value))
            }

            /// Sets the [`block_hash` field](Proof#structfield.block_hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn block_hash_as_null(self) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, ())> {
                self.block_hash(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6)> {
            /// Setter for the [`header_prefix` field](Proof#structfield.header_prefix).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn header_prefix<T7>(
                self,
                value: T7,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)>
            where
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, value))
            }

            /// Sets the [`header_prefix` field](Proof#structfield.header_prefix) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn header_prefix_as_null(self) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, ())> {
                self.header_prefix(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)> {
            /// Setter for the [`is_solution` field](Proof#structfield.is_solution).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn is_solution<T8>(
                self,
                value: T8,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8)>
            where
                T8: ::planus::WriteAsDefault<bool, bool>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, v7, value))
            }

            /// Sets the [`is_solution` field](Proof#structfield.is_solution) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn is_solution_as_default(
                self,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, ::planus::DefaultValue)>
            {
                self.is_solution(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8)> {
            /// Setter for the [`model_identifier` field](Proof#structfield.model_identifier).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn model_identifier<T9>(
                self,
                value: T9,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9)>
            where
                T9: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, value))
            }

            /// Sets the [`model_identifier` field](Proof#structfield.model_identifier) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn model_identifier_as_null(
                self,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, ())> {
                self.model_identifier(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9>
            ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9)>
        {
            /// Setter for the [`compute_precision` field](Proof#structfield.compute_precision).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn compute_precision<T10>(
                self,
                value: T10,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
            where
                T10: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, value))
            }

            /// Sets the [`compute_precision` field](Proof#structfield.compute_precision) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn compute_precision_as_null(
                self,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, ())> {
                self.compute_precision(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>
            ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
        {
            /// Setter for the [`ipfs_cid` field](Proof#structfield.ipfs_cid).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn ipfs_cid<T11>(
                self,
                value: T11,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11)>
            where
                T11: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, value))
            }

            /// Sets the [`ipfs_cid` field](Proof#structfield.ipfs_cid) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn ipfs_cid_as_null(
                self,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, ())> {
                self.ipfs_cid(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>
            ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11)>
        {
            /// Setter for the [`extra_flags` field](Proof#structfield.extra_flags).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn extra_flags<T12>(
                self,
                value: T12,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12)>
            where
                T12: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, value))
            }

            /// Sets the [`extra_flags` field](Proof#structfield.extra_flags) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn extra_flags_as_null(
                self,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, ())> {
                self.extra_flags(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>
            ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12)>
        {
            /// Setter for the [`temperature` field](Proof#structfield.temperature).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn temperature<T13>(
                self,
                value: T13,
            ) -> ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13)>
            where
                T13: ::planus::WriteAsDefault<f32, f32>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12) = self.0;
                ProofBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, value))
            }

            /// Sets the [`temperature` field](Proof#structfield.temperature) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn temperature_as_default(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                ::planus::DefaultValue,
            )> {
                self.temperature(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>
            ProofBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13)>
        {
            /// Setter for the [`top_p` field](Proof#structfield.top_p).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn top_p<T14>(
                self,
                value: T14,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
            )>
            where
                T14: ::planus::WriteAsDefault<f32, f32>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, value,
                ))
            }

            /// Sets the [`top_p` field](Proof#structfield.top_p) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn top_p_as_default(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                ::planus::DefaultValue,
            )> {
                self.top_p(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
            )>
        {
            /// Setter for the [`top_k` field](Proof#structfield.top_k).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn top_k<T15>(
                self,
                value: T15,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
            )>
            where
                T15: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, value,
                ))
            }

            /// Sets the [`top_k` field](Proof#structfield.top_k) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn top_k_as_default(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                ::planus::DefaultValue,
            )> {
                self.top_k(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15>
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
            )>
        {
            /// Setter for the [`repetition_penalty` field](Proof#structfield.repetition_penalty).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn repetition_penalty<T16>(
                self,
                value: T16,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
            )>
            where
                T16: ::planus::WriteAsDefault<f32, f32>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, value,
                ))
            }

            /// Sets the [`repetition_penalty` field](Proof#structfield.repetition_penalty) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn repetition_penalty_as_default(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                ::planus::DefaultValue,
            )> {
                self.repetition_penalty(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
            )>
        {
            /// Setter for the [`chosen_tokens` field](Proof#structfield.chosen_tokens).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn chosen_tokens<T17>(
                self,
                value: T17,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
            )>
            where
                T17: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16) =
                    self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16,
                    value,
                ))
            }

            /// Sets the [`chosen_tokens` field](Proof#structfield.chosen_tokens) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn chosen_tokens_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                (),
            )> {
                self.chosen_tokens(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17>
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
            )>
        {
            /// Setter for the [`chosen_probs` field](Proof#structfield.chosen_probs).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn chosen_probs<T18>(
                self,
                value: T18,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
            )>
            where
                T18: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    value,
                ))
            }

            /// Sets the [`chosen_probs` field](Proof#structfield.chosen_probs) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn chosen_probs_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                (),
            )> {
                self.chosen_probs(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
            )>
        {
            /// Setter for the [`sampling_u` field](Proof#structfield.sampling_u).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn sampling_u<T19>(
                self,
                value: T19,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
            )>
            where
                T19: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, value,
                ))
            }

            /// Sets the [`sampling_u` field](Proof#structfield.sampling_u) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn sampling_u_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                (),
            )> {
                self.sampling_u(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
            )>
        {
            /// Setter for the [`softmax_normalizers` field](Proof#structfield.softmax_normalizers).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn softmax_normalizers<T20>(
                self,
                value: T20,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
            )>
            where
                T20: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, v19, value,
                ))
            }

            /// Sets the [`softmax_normalizers` field](Proof#structfield.softmax_normalizers) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn softmax_normalizers_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                (),
            )> {
                self.softmax_normalizers(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
            )>
        {
            /// Setter for the [`prompt_tokens` field](Proof#structfield.prompt_tokens).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn prompt_tokens<T21>(
                self,
                value: T21,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
            )>
            where
                T21: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                    v20,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, v19, v20, value,
                ))
            }

            /// Sets the [`prompt_tokens` field](Proof#structfield.prompt_tokens) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn prompt_tokens_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                (),
            )> {
                self.prompt_tokens(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
            )>
        {
            /// Setter for the [`pad_mask` field](Proof#structfield.pad_mask).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pad_mask<T22>(
                self,
                value: T22,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
            )>
            where
                T22: ::planus::WriteAsOptional<::planus::Offset<[bool]>>,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                    v20,
                    v21,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, v19, v20, v21, value,
                ))
            }

            /// Sets the [`pad_mask` field](Proof#structfield.pad_mask) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pad_mask_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                (),
            )> {
                self.pad_mask(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
            )>
        {
            /// Setter for the [`topk_logits` field](Proof#structfield.topk_logits).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn topk_logits<T23>(
                self,
                value: T23,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
            )>
            where
                T23: ::planus::WriteAsOptional<
                    ::planus::Offset<[::planus::Offset<self::FloatArray>]>,
                >,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                    v20,
                    v21,
                    v22,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, v19, v20, v21, v22, value,
                ))
            }

            /// Sets the [`topk_logits` field](Proof#structfield.topk_logits) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn topk_logits_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                (),
            )> {
                self.topk_logits(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
            )>
        {
            /// Setter for the [`topk_indices` field](Proof#structfield.topk_indices).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn topk_indices<T24>(
                self,
                value: T24,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
            )>
            where
                T24: ::planus::WriteAsOptional<
                    ::planus::Offset<[::planus::Offset<self::UIntArray>]>,
                >,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                    v20,
                    v21,
                    v22,
                    v23,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, v19, v20, v21, v22, v23, value,
                ))
            }

            /// Sets the [`topk_indices` field](Proof#structfield.topk_indices) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn topk_indices_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                (),
            )> {
                self.topk_indices(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
            )>
        {
            /// Setter for the [`logsumexp_stats` field](Proof#structfield.logsumexp_stats).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn logsumexp_stats<T25>(
                self,
                value: T25,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                T25,
            )>
            where
                T25: ::planus::WriteAsOptional<
                    ::planus::Offset<[::planus::Offset<self::FloatArray>]>,
                >,
            {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                    v20,
                    v21,
                    v22,
                    v23,
                    v24,
                ) = self.0;
                ProofBuilder((
                    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17,
                    v18, v19, v20, v21, v22, v23, v24, value,
                ))
            }

            /// Sets the [`logsumexp_stats` field](Proof#structfield.logsumexp_stats) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn logsumexp_stats_as_null(
                self,
            ) -> ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                (),
            )> {
                self.logsumexp_stats(())
            }
        }

        impl<
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                T25,
            >
            ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                T25,
            )>
        {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [Proof].
            #[inline]
            pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<Proof>
            where
                Self: ::planus::WriteAsOffset<Proof>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u8, u8>,
                T1: ::planus::WriteAsDefault<u64, u64>,
                T2: ::planus::WriteAsDefault<u64, u64>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T8: ::planus::WriteAsDefault<bool, bool>,
                T9: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T10: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T11: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T12: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T13: ::planus::WriteAsDefault<f32, f32>,
                T14: ::planus::WriteAsDefault<f32, f32>,
                T15: ::planus::WriteAsDefault<u32, u32>,
                T16: ::planus::WriteAsDefault<f32, f32>,
                T17: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                T18: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T19: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T20: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T21: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                T22: ::planus::WriteAsOptional<::planus::Offset<[bool]>>,
                T23: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::FloatArray>]>>,
                T24: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::UIntArray>]>>,
                T25: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::FloatArray>]>>,
            > ::planus::WriteAs<::planus::Offset<Proof>>
            for ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                T25,
            )>
        {
            type Prepared = ::planus::Offset<Proof>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Proof> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u8, u8>,
                T1: ::planus::WriteAsDefault<u64, u64>,
                T2: ::planus::WriteAsDefault<u64, u64>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T8: ::planus::WriteAsDefault<bool, bool>,
                T9: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T10: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T11: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T12: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T13: ::planus::WriteAsDefault<f32, f32>,
                T14: ::planus::WriteAsDefault<f32, f32>,
                T15: ::planus::WriteAsDefault<u32, u32>,
                T16: ::planus::WriteAsDefault<f32, f32>,
                T17: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                T18: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T19: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T20: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T21: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                T22: ::planus::WriteAsOptional<::planus::Offset<[bool]>>,
                T23: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::FloatArray>]>>,
                T24: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::UIntArray>]>>,
                T25: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::FloatArray>]>>,
            > ::planus::WriteAsOptional<::planus::Offset<Proof>>
            for ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                T25,
            )>
        {
            type Prepared = ::planus::Offset<Proof>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<Proof>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u8, u8>,
                T1: ::planus::WriteAsDefault<u64, u64>,
                T2: ::planus::WriteAsDefault<u64, u64>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T8: ::planus::WriteAsDefault<bool, bool>,
                T9: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T10: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T11: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T12: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T13: ::planus::WriteAsDefault<f32, f32>,
                T14: ::planus::WriteAsDefault<f32, f32>,
                T15: ::planus::WriteAsDefault<u32, u32>,
                T16: ::planus::WriteAsDefault<f32, f32>,
                T17: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                T18: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T19: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T20: ::planus::WriteAsOptional<::planus::Offset<[f32]>>,
                T21: ::planus::WriteAsOptional<::planus::Offset<[u32]>>,
                T22: ::planus::WriteAsOptional<::planus::Offset<[bool]>>,
                T23: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::FloatArray>]>>,
                T24: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::UIntArray>]>>,
                T25: ::planus::WriteAsOptional<::planus::Offset<[::planus::Offset<self::FloatArray>]>>,
            > ::planus::WriteAsOffset<Proof>
            for ProofBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                T10,
                T11,
                T12,
                T13,
                T14,
                T15,
                T16,
                T17,
                T18,
                T19,
                T20,
                T21,
                T22,
                T23,
                T24,
                T25,
            )>
        {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<Proof> {
                let (
                    v0,
                    v1,
                    v2,
                    v3,
                    v4,
                    v5,
                    v6,
                    v7,
                    v8,
                    v9,
                    v10,
                    v11,
                    v12,
                    v13,
                    v14,
                    v15,
                    v16,
                    v17,
                    v18,
                    v19,
                    v20,
                    v21,
                    v22,
                    v23,
                    v24,
                    v25,
                ) = &self.0;
                Proof::create(
                    builder, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15,
                    v16, v17, v18, v19, v20, v21, v22, v23, v24, v25,
                )
            }
        }

        /// Reference to a deserialized [Proof].
        #[derive(Copy, Clone)]
        pub struct ProofRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> ProofRef<'a> {
            /// Getter for the [`version` field](Proof#structfield.version).
            #[inline]
            pub fn version(&self) -> ::planus::Result<u8> {
                ::core::result::Result::Ok(self.0.access(0, "Proof", "version")?.unwrap_or(0))
            }

            /// Getter for the [`tick` field](Proof#structfield.tick).
            #[inline]
            pub fn tick(&self) -> ::planus::Result<u64> {
                ::core::result::Result::Ok(self.0.access(1, "Proof", "tick")?.unwrap_or(0))
            }

            /// Getter for the [`timestamp` field](Proof#structfield.timestamp).
            #[inline]
            pub fn timestamp(&self) -> ::planus::Result<u64> {
                ::core::result::Result::Ok(self.0.access(2, "Proof", "timestamp")?.unwrap_or(0))
            }

            /// Getter for the [`target` field](Proof#structfield.target).
            #[inline]
            pub fn target(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(3, "Proof", "target")
            }

            /// Getter for the [`vdf` field](Proof#structfield.vdf).
            #[inline]
            pub fn vdf(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(4, "Proof", "vdf")
            }

            /// Getter for the [`hash` field](Proof#structfield.hash).
            #[inline]
            pub fn hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(5, "Proof", "hash")
            }

            /// Getter for the [`block_hash` field](Proof#structfield.block_hash).
            #[inline]
            pub fn block_hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(6, "Proof", "block_hash")
            }

            /// Getter for the [`header_prefix` field](Proof#structfield.header_prefix).
            #[inline]
            pub fn header_prefix(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(7, "Proof", "header_prefix")
            }

            /// Getter for the [`is_solution` field](Proof#structfield.is_solution).
            #[inline]
            pub fn is_solution(&self) -> ::planus::Result<bool> {
                ::core::result::Result::Ok(
                    self.0.access(8, "Proof", "is_solution")?.unwrap_or(false),
                )
            }

            /// Getter for the [`model_identifier` field](Proof#structfield.model_identifier).
            #[inline]
            pub fn model_identifier(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(9, "Proof", "model_identifier")
            }

            /// Getter for the [`compute_precision` field](Proof#structfield.compute_precision).
            #[inline]
            pub fn compute_precision(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(10, "Proof", "compute_precision")
            }

            /// Getter for the [`ipfs_cid` field](Proof#structfield.ipfs_cid).
            #[inline]
            pub fn ipfs_cid(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(11, "Proof", "ipfs_cid")
            }

            /// Getter for the [`extra_flags` field](Proof#structfield.extra_flags).
            #[inline]
            pub fn extra_flags(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(12, "Proof", "extra_flags")
            }

            /// Getter for the [`temperature` field](Proof#structfield.temperature).
            #[inline]
            pub fn temperature(&self) -> ::planus::Result<f32> {
                ::core::result::Result::Ok(
                    self.0.access(13, "Proof", "temperature")?.unwrap_or(0.0),
                )
            }

            /// Getter for the [`top_p` field](Proof#structfield.top_p).
            #[inline]
            pub fn top_p(&self) -> ::planus::Result<f32> {
                ::core::result::Result::Ok(self.0.access(14, "Proof", "top_p")?.unwrap_or(0.0))
            }

            /// Getter for the [`top_k` field](Proof#structfield.top_k).
            #[inline]
            pub fn top_k(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(self.0.access(15, "Proof", "top_k")?.unwrap_or(0))
            }

            /// Getter for the [`repetition_penalty` field](Proof#structfield.repetition_penalty).
            #[inline]
            pub fn repetition_penalty(&self) -> ::planus::Result<f32> {
                ::core::result::Result::Ok(
                    self.0
                        .access(16, "Proof", "repetition_penalty")?
                        .unwrap_or(0.0),
                )
            }

            /// Getter for the [`chosen_tokens` field](Proof#structfield.chosen_tokens).
            #[inline]
            pub fn chosen_tokens(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, u32>>> {
                self.0.access(17, "Proof", "chosen_tokens")
            }

            /// Getter for the [`chosen_probs` field](Proof#structfield.chosen_probs).
            #[inline]
            pub fn chosen_probs(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
                self.0.access(18, "Proof", "chosen_probs")
            }

            /// Getter for the [`sampling_u` field](Proof#structfield.sampling_u).
            #[inline]
            pub fn sampling_u(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
                self.0.access(19, "Proof", "sampling_u")
            }

            /// Getter for the [`softmax_normalizers` field](Proof#structfield.softmax_normalizers).
            #[inline]
            pub fn softmax_normalizers(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, f32>>> {
                self.0.access(20, "Proof", "softmax_normalizers")
            }

            /// Getter for the [`prompt_tokens` field](Proof#structfield.prompt_tokens).
            #[inline]
            pub fn prompt_tokens(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, u32>>> {
                self.0.access(21, "Proof", "prompt_tokens")
            }

            /// Getter for the [`pad_mask` field](Proof#structfield.pad_mask).
            #[inline]
            pub fn pad_mask(
                &self,
            ) -> ::planus::Result<::core::option::Option<::planus::Vector<'a, bool>>> {
                self.0.access(22, "Proof", "pad_mask")
            }

            /// Getter for the [`topk_logits` field](Proof#structfield.topk_logits).
            #[inline]
            pub fn topk_logits(
                &self,
            ) -> ::planus::Result<
                ::core::option::Option<
                    ::planus::Vector<'a, ::planus::Result<self::FloatArrayRef<'a>>>,
                >,
            > {
                self.0.access(23, "Proof", "topk_logits")
            }

            /// Getter for the [`topk_indices` field](Proof#structfield.topk_indices).
            #[inline]
            pub fn topk_indices(
                &self,
            ) -> ::planus::Result<
                ::core::option::Option<
                    ::planus::Vector<'a, ::planus::Result<self::UIntArrayRef<'a>>>,
                >,
            > {
                self.0.access(24, "Proof", "topk_indices")
            }

            /// Getter for the [`logsumexp_stats` field](Proof#structfield.logsumexp_stats).
            #[inline]
            pub fn logsumexp_stats(
                &self,
            ) -> ::planus::Result<
                ::core::option::Option<
                    ::planus::Vector<'a, ::planus::Result<self::FloatArrayRef<'a>>>,
                >,
            > {
                self.0.access(25, "Proof", "logsumexp_stats")
            }
        }

        impl<'a> ::core::fmt::Debug for ProofRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("ProofRef");
                f.field("version", &self.version());
                f.field("tick", &self.tick());
                f.field("timestamp", &self.timestamp());
                if let ::core::option::Option::Some(field_target) = self.target().transpose() {
                    f.field("target", &field_target);
                }
                if let ::core::option::Option::Some(field_vdf) = self.vdf().transpose() {
                    f.field("vdf", &field_vdf);
                }
                if let ::core::option::Option::Some(field_hash) = self.hash().transpose() {
                    f.field("hash", &field_hash);
                }
                if let ::core::option::Option::Some(field_block_hash) =
                    self.block_hash().transpose()
                {
                    f.field("block_hash", &field_block_hash);
                }
                if let ::core::option::Option::Some(field_header_prefix) =
                    self.header_prefix().transpose()
                {
                    f.field("header_prefix", &field_header_prefix);
                }
                f.field("is_solution", &self.is_solution());
                if let ::core::option::Option::Some(field_model_identifier) =
                    self.model_identifier().transpose()
                {
                    f.field("model_identifier", &field_model_identifier);
                }
                if let ::core::option::Option::Some(field_compute_precision) =
                    self.compute_precision().transpose()
                {
                    f.field("compute_precision", &field_compute_precision);
                }
                if let ::core::option::Option::Some(field_ipfs_cid) = self.ipfs_cid().transpose() {
                    f.field("ipfs_cid", &field_ipfs_cid);
                }
                if let ::core::option::Option::Some(field_extra_flags) =
                    self.extra_flags().transpose()
                {
                    f.field("extra_flags", &field_extra_flags);
                }
                f.field("temperature", &self.temperature());
                f.field("top_p", &self.top_p());
                f.field("top_k", &self.top_k());
                f.field("repetition_penalty", &self.repetition_penalty());
                if let ::core::option::Option::Some(field_chosen_tokens) =
                    self.chosen_tokens().transpose()
                {
                    f.field("chosen_tokens", &field_chosen_tokens);
                }
                if let ::core::option::Option::Some(field_chosen_probs) =
                    self.chosen_probs().transpose()
                {
                    f.field("chosen_probs", &field_chosen_probs);
                }
                if let ::core::option::Option::Some(field_sampling_u) =
                    self.sampling_u().transpose()
                {
                    f.field("sampling_u", &field_sampling_u);
                }
                if let ::core::option::Option::Some(field_softmax_normalizers) =
                    self.softmax_normalizers().transpose()
                {
                    f.field("softmax_normalizers", &field_softmax_normalizers);
                }
                if let ::core::option::Option::Some(field_prompt_tokens) =
                    self.prompt_tokens().transpose()
                {
                    f.field("prompt_tokens", &field_prompt_tokens);
                }
                if let ::core::option::Option::Some(field_pad_mask) = self.pad_mask().transpose() {
                    f.field("pad_mask", &field_pad_mask);
                }
                if let ::core::option::Option::Some(field_topk_logits) =
                    self.topk_logits().transpose()
                {
                    f.field("topk_logits", &field_topk_logits);
                }
                if let ::core::option::Option::Some(field_topk_indices) =
                    self.topk_indices().transpose()
                {
                    f.field("topk_indices", &field_topk_indices);
                }
                if let ::core::option::Option::Some(field_logsumexp_stats) =
                    self.logsumexp_stats().transpose()
                {
                    f.field("logsumexp_stats", &field_logsumexp_stats);
                }
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<ProofRef<'a>> for Proof {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: ProofRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    version: ::core::convert::TryInto::try_into(value.version()?)?,
                    tick: ::core::convert::TryInto::try_into(value.tick()?)?,
                    timestamp: ::core::convert::TryInto::try_into(value.timestamp()?)?,
                    target: value.target()?.map(|v| v.to_vec()),
                    vdf: value.vdf()?.map(|v| v.to_vec()),
                    hash: value.hash()?.map(|v| v.to_vec()),
                    block_hash: value.block_hash()?.map(|v| v.to_vec()),
                    header_prefix: value.header_prefix()?.map(|v| v.to_vec()),
                    is_solution: ::core::convert::TryInto::try_into(value.is_solution()?)?,
                    model_identifier: value.model_identifier()?.map(::core::convert::Into::into),
                    compute_precision: value.compute_precision()?.map(::core::convert::Into::into),
                    ipfs_cid: value.ipfs_cid()?.map(::core::convert::Into::into),
                    extra_flags: value.extra_flags()?.map(::core::convert::Into::into),
                    temperature: ::core::convert::TryInto::try_into(value.temperature()?)?,
                    top_p: ::core::convert::TryInto::try_into(value.top_p()?)?,
                    top_k: ::core::convert::TryInto::try_into(value.top_k()?)?,
                    repetition_penalty: ::core::convert::TryInto::try_into(
                        value.repetition_penalty()?,
                    )?,
                    chosen_tokens: if let ::core::option::Option::Some(chosen_tokens) =
                        value.chosen_tokens()?
                    {
                        ::core::option::Option::Some(chosen_tokens.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                    chosen_probs: if let ::core::option::Option::Some(chosen_probs) =
                        value.chosen_probs()?
                    {
                        ::core::option::Option::Some(chosen_probs.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                    sampling_u: if let ::core::option::Option::Some(sampling_u) =
                        value.sampling_u()?
                    {
                        ::core::option::Option::Some(sampling_u.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                    softmax_normalizers: if let ::core::option::Option::Some(softmax_normalizers) =
                        value.softmax_normalizers()?
                    {
                        ::core::option::Option::Some(softmax_normalizers.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                    prompt_tokens: if let ::core::option::Option::Some(prompt_tokens) =
                        value.prompt_tokens()?
                    {
                        ::core::option::Option::Some(prompt_tokens.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                    pad_mask: if let ::core::option::Option::Some(pad_mask) = value.pad_mask()? {
                        ::core::option::Option::Some(pad_mask.to_vec()?)
                    } else {
                        ::core::option::Option::None
                    },
                    topk_logits: if let ::core::option::Option::Some(topk_logits) =
                        value.topk_logits()?
                    {
                        ::core::option::Option::Some(topk_logits.to_vec_result()?)
                    } else {
                        ::core::option::Option::None
                    },
                    topk_indices: if let ::core::option::Option::Some(topk_indices) =
                        value.topk_indices()?
                    {
                        ::core::option::Option::Some(topk_indices.to_vec_result()?)
                    } else {
                        ::core::option::Option::None
                    },
                    logsumexp_stats: if let ::core::option::Option::Some(logsumexp_stats) =
                        value.logsumexp_stats()?
                    {
                        ::core::option::Option::Some(logsumexp_stats.to_vec_result()?)
                    } else {
                        ::core::option::Option::None
                    },
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for ProofRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for ProofRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location("[ProofRef]", "get", buffer.offset_from_start)
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<Proof>> for Proof {
            type Value = ::planus::Offset<Proof>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<Proof>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for ProofRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[ProofRef]", "read_as_root", 0)
                })
            }
        }

        /// The enum `ValidationType` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Enum `ValidationType` in the file `schema/validation.fbs:6`
        #[derive(
            Copy,
            Clone,
            Debug,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        #[repr(u8)]
        pub enum ValidationType {
            /// The variant `Quick` in the enum `ValidationType`
            Quick = 0,

            /// The variant `Quick_Smell` in the enum `ValidationType`
            QuickSmell = 1,

            /// The variant `Full` in the enum `ValidationType`
            Full = 2,

            /// The variant `Model` in the enum `ValidationType`
            Model = 3,

            /// The variant `Challenge` in the enum `ValidationType`
            Challenge = 4,

            /// The variant `Logits` in the enum `ValidationType`
            Logits = 5,
        }

        impl ValidationType {
            /// Array containing all valid variants of ValidationType
            pub const ENUM_VALUES: [Self; 6] = [
                Self::Quick,
                Self::QuickSmell,
                Self::Full,
                Self::Model,
                Self::Challenge,
                Self::Logits,
            ];
        }

        impl ::core::convert::TryFrom<u8> for ValidationType {
            type Error = ::planus::errors::UnknownEnumTagKind;
            #[inline]
            fn try_from(
                value: u8,
            ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTagKind> {
                #[allow(clippy::match_single_binding)]
                match value {
                    0 => ::core::result::Result::Ok(ValidationType::Quick),
                    1 => ::core::result::Result::Ok(ValidationType::QuickSmell),
                    2 => ::core::result::Result::Ok(ValidationType::Full),
                    3 => ::core::result::Result::Ok(ValidationType::Model),
                    4 => ::core::result::Result::Ok(ValidationType::Challenge),
                    5 => ::core::result::Result::Ok(ValidationType::Logits),

                    _ => ::core::result::Result::Err(::planus::errors::UnknownEnumTagKind {
                        tag: value as i128,
                    }),
                }
            }
        }

        impl ::core::convert::From<ValidationType> for u8 {
            #[inline]
            fn from(value: ValidationType) -> Self {
                value as u8
            }
        }

        /// # Safety
        /// The Planus compiler correctly calculates `ALIGNMENT` and `SIZE`.
        unsafe impl ::planus::Primitive for ValidationType {
            const ALIGNMENT: usize = 1;
            const SIZE: usize = 1;
        }

        impl ::planus::WriteAsPrimitive<ValidationType> for ValidationType {
            #[inline]
            fn write<const N: usize>(&self, cursor: ::planus::Cursor<'_, N>, buffer_position: u32) {
                (*self as u8).write(cursor, buffer_position);
            }
        }

        impl ::planus::WriteAs<ValidationType> for ValidationType {
            type Prepared = Self;

            #[inline]
            fn prepare(&self, _builder: &mut ::planus::Builder) -> ValidationType {
                *self
            }
        }

        impl ::planus::WriteAsDefault<ValidationType, ValidationType> for ValidationType {
            type Prepared = Self;

            #[inline]
            fn prepare(
                &self,
                _builder: &mut ::planus::Builder,
                default: &ValidationType,
            ) -> ::core::option::Option<ValidationType> {
                if self == default {
                    ::core::option::Option::None
                } else {
                    ::core::option::Option::Some(*self)
                }
            }
        }

        impl ::planus::WriteAsOptional<ValidationType> for ValidationType {
            type Prepared = Self;

            #[inline]
            fn prepare(
                &self,
                _builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<ValidationType> {
                ::core::option::Option::Some(*self)
            }
        }

        impl<'buf> ::planus::TableRead<'buf> for ValidationType {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'buf>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                let n: u8 = ::planus::TableRead::from_buffer(buffer, offset)?;
                ::core::result::Result::Ok(::core::convert::TryInto::try_into(n)?)
            }
        }

        impl<'buf> ::planus::VectorReadInner<'buf> for ValidationType {
            type Error = ::planus::errors::UnknownEnumTag;
            const STRIDE: usize = 1;
            #[inline]
            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'buf>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTag> {
                let value = unsafe { *buffer.buffer.get_unchecked(offset) };
                let value: ::core::result::Result<Self, _> =
                    ::core::convert::TryInto::try_into(value);
                value.map_err(|error_kind| {
                    error_kind.with_error_location(
                        "ValidationType",
                        "VectorRead::from_buffer",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<ValidationType> for ValidationType {
            const STRIDE: usize = 1;

            type Value = Self;

            #[inline]
            fn prepare(&self, _builder: &mut ::planus::Builder) -> Self {
                *self
            }

            #[inline]
            unsafe fn write_values(
                values: &[Self],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 1];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - i as u32,
                    );
                }
            }
        }

        /// The enum `ResponseValue` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Enum `ResponseValue` in the file `schema/validation.fbs:18`
        #[derive(
            Copy,
            Clone,
            Debug,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        #[repr(u8)]
        pub enum ResponseValue {
            /// The variant `Quick_OK` in the enum `ResponseValue`
            QuickOk = 0,

            /// The variant `Quick_Fail` in the enum `ResponseValue`
            QuickFail = 1,

            /// The variant `Quick_OK_Smell_OK` in the enum `ResponseValue`
            QuickOkSmellOk = 2,

            /// The variant `Quick_OK_Smell_Fail` in the enum `ResponseValue`
            QuickOkSmellFail = 3,

            /// The variant `Quick_Fail_Smell_OK` in the enum `ResponseValue`
            QuickFailSmellOk = 4,

            /// The variant `Quick_Fail_Smell_Fail` in the enum `ResponseValue`
            QuickFailSmellFail = 5,

            /// The variant `Full_Green` in the enum `ResponseValue`
            FullGreen = 6,

            /// The variant `Full_Amber` in the enum `ResponseValue`
            FullAmber = 7,

            /// The variant `Full_Red` in the enum `ResponseValue`
            FullRed = 8,

            /// The variant `Model_OK` in the enum `ResponseValue`
            ModelOk = 9,

            /// The variant `Model_Fail` in the enum `ResponseValue`
            ModelFail = 10,

            /// The variant `Challenge_OK` in the enum `ResponseValue`
            ChallengeOk = 11,

            /// The variant `Challenge_Fail` in the enum `ResponseValue`
            ChallengeFail = 12,

            /// The variant `Model_Pending_Review` in the enum `ResponseValue`
            ModelPendingReview = 13,

            /// The variant `Logits_OK` in the enum `ResponseValue`
            LogitsOk = 14,

            /// The variant `Logits_Fail` in the enum `ResponseValue`
            LogitsFail = 15,
        }

        impl ResponseValue {
            /// Array containing all valid variants of ResponseValue
            pub const ENUM_VALUES: [Self; 16] = [
                Self::QuickOk,
                Self::QuickFail,
                Self::QuickOkSmellOk,
                Self::QuickOkSmellFail,
                Self::QuickFailSmellOk,
                Self::QuickFailSmellFail,
                Self::FullGreen,
                Self::FullAmber,
                Self::FullRed,
                Self::ModelOk,
                Self::ModelFail,
                Self::ChallengeOk,
                Self::ChallengeFail,
                Self::ModelPendingReview,
                Self::LogitsOk,
                Self::LogitsFail,
            ];
        }

        impl ::core::convert::TryFrom<u8> for ResponseValue {
            type Error = ::planus::errors::UnknownEnumTagKind;
            #[inline]
            fn try_from(
                value: u8,
            ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTagKind> {
                #[allow(clippy::match_single_binding)]
                match value {
                    0 => ::core::result::Result::Ok(ResponseValue::QuickOk),
                    1 => ::core::result::Result::Ok(ResponseValue::QuickFail),
                    2 => ::core::result::Result::Ok(ResponseValue::QuickOkSmellOk),
                    3 => ::core::result::Result::Ok(ResponseValue::QuickOkSmellFail),
                    4 => ::core::result::Result::Ok(ResponseValue::QuickFailSmellOk),
                    5 => ::core::result::Result::Ok(ResponseValue::QuickFailSmellFail),
                    6 => ::core::result::Result::Ok(ResponseValue::FullGreen),
                    7 => ::core::result::Result::Ok(ResponseValue::FullAmber),
                    8 => ::core::result::Result::Ok(ResponseValue::FullRed),
                    9 => ::core::result::Result::Ok(ResponseValue::ModelOk),
                    10 => ::core::result::Result::Ok(ResponseValue::ModelFail),
                    11 => ::core::result::Result::Ok(ResponseValue::ChallengeOk),
                    12 => ::core::result::Result::Ok(ResponseValue::ChallengeFail),
                    13 => ::core::result::Result::Ok(ResponseValue::ModelPendingReview),
                    14 => ::core::result::Result::Ok(ResponseValue::LogitsOk),
                    15 => ::core::result::Result::Ok(ResponseValue::LogitsFail),

                    _ => ::core::result::Result::Err(::planus::errors::UnknownEnumTagKind {
                        tag: value as i128,
                    }),
                }
            }
        }

        impl ::core::convert::From<ResponseValue> for u8 {
            #[inline]
            fn from(value: ResponseValue) -> Self {
                value as u8
            }
        }

        /// # Safety
        /// The Planus compiler correctly calculates `ALIGNMENT` and `SIZE`.
        unsafe impl ::planus::Primitive for ResponseValue {
            const ALIGNMENT: usize = 1;
            const SIZE: usize = 1;
        }

        impl ::planus::WriteAsPrimitive<ResponseValue> for ResponseValue {
            #[inline]
            fn write<const N: usize>(&self, cursor: ::planus::Cursor<'_, N>, buffer_position: u32) {
                (*self as u8).write(cursor, buffer_position);
            }
        }

        impl ::planus::WriteAs<ResponseValue> for ResponseValue {
            type Prepared = Self;

            #[inline]
            fn prepare(&self, _builder: &mut ::planus::Builder) -> ResponseValue {
                *self
            }
        }

        impl ::planus::WriteAsDefault<ResponseValue, ResponseValue> for ResponseValue {
            type Prepared = Self;

            #[inline]
            fn prepare(
                &self,
                _builder: &mut ::planus::Builder,
                default: &ResponseValue,
            ) -> ::core::option::Option<ResponseValue> {
                if self == default {
                    ::core::option::Option::None
                } else {
                    ::core::option::Option::Some(*self)
                }
            }
        }

        impl ::planus::WriteAsOptional<ResponseValue> for ResponseValue {
            type Prepared = Self;

            #[inline]
            fn prepare(
                &self,
                _builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<ResponseValue> {
                ::core::option::Option::Some(*self)
            }
        }

        impl<'buf> ::planus::TableRead<'buf> for ResponseValue {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'buf>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                let n: u8 = ::planus::TableRead::from_buffer(buffer, offset)?;
                ::core::result::Result::Ok(::core::convert::TryInto::try_into(n)?)
            }
        }

        impl<'buf> ::planus::VectorReadInner<'buf> for ResponseValue {
            type Error = ::planus::errors::UnknownEnumTag;
            const STRIDE: usize = 1;
            #[inline]
            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'buf>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::UnknownEnumTag> {
                let value = unsafe { *buffer.buffer.get_unchecked(offset) };
                let value: ::core::result::Result<Self, _> =
                    ::core::convert::TryInto::try_into(value);
                value.map_err(|error_kind| {
                    error_kind.with_error_location(
                        "ResponseValue",
                        "VectorRead::from_buffer",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<ResponseValue> for ResponseValue {
            const STRIDE: usize = 1;

            type Value = Self;

            #[inline]
            fn prepare(&self, _builder: &mut ::planus::Builder) -> Self {
                *self
            }

            #[inline]
            unsafe fn write_values(
                values: &[Self],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 1];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - i as u32,
                    );
                }
            }
        }

        /// The table `BlockValidation` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `BlockValidation` in the file `schema/validation.fbs:37`
        #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
        pub struct BlockValidation {
            /// The field `version` in the table `BlockValidation`
            pub version: u32,
            /// The field `hash` in the table `BlockValidation`
            pub hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `prev_block_hash` in the table `BlockValidation`
            pub prev_block_hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `merkle_root` in the table `BlockValidation`
            pub merkle_root: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `timestamp` in the table `BlockValidation`
            pub timestamp: u32,
            /// The field `bits` in the table `BlockValidation`
            pub bits: u32,
            /// The field `nonce` in the table `BlockValidation`
            pub nonce: u32,
            /// The field `pow_blob_hash` in the table `BlockValidation`
            pub pow_blob_hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `adjusted_bits` in the table `BlockValidation`
            pub adjusted_bits: u32,
            /// The field `pow_blob` in the table `BlockValidation`
            pub pow_blob: ::core::option::Option<::planus::alloc::boxed::Box<self::Proof>>,
            /// The field `difficulty` in the table `BlockValidation`
            pub difficulty: i64,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for BlockValidation {
            fn default() -> Self {
                Self {
                    version: 0,
                    hash: ::core::default::Default::default(),
                    prev_block_hash: ::core::default::Default::default(),
                    merkle_root: ::core::default::Default::default(),
                    timestamp: 0,
                    bits: 0,
                    nonce: 0,
                    pow_blob_hash: ::core::default::Default::default(),
                    adjusted_bits: 0,
                    pow_blob: ::core::default::Default::default(),
                    difficulty: 0,
                }
            }
        }

        impl BlockValidation {
            /// Creates a [BlockValidationBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> BlockValidationBuilder<()> {
                BlockValidationBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_version: impl ::planus::WriteAsDefault<u32, u32>,
                field_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_prev_block_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_merkle_root: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_timestamp: impl ::planus::WriteAsDefault<u32, u32>,
                field_bits: impl ::planus::WriteAsDefault<u32, u32>,
                field_nonce: impl ::planus::WriteAsDefault<u32, u32>,
                field_pow_blob_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_adjusted_bits: impl ::planus::WriteAsDefault<u32, u32>,
                field_pow_blob: impl ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                field_difficulty: impl ::planus::WriteAsDefault<i64, i64>,
            ) -> ::planus::Offset<Self> {
                let prepared_version = field_version.prepare(builder, &0);
                let prepared_hash = field_hash.prepare(builder);
                let prepared_prev_block_hash = field_prev_block_hash.prepare(builder);
                let prepared_merkle_root = field_merkle_root.prepare(builder);
                let prepared_timestamp = field_timestamp.prepare(builder, &0);
                let prepared_bits = field_bits.prepare(builder, &0);
                let prepared_nonce = field_nonce.prepare(builder, &0);
                let prepared_pow_blob_hash = field_pow_blob_hash.prepare(builder);
                let prepared_adjusted_bits = field_adjusted_bits.prepare(builder, &0);
                let prepared_pow_blob = field_pow_blob.prepare(builder);
                let prepared_difficulty = field_difficulty.prepare(builder, &0);

                let mut table_writer: ::planus::table_writer::TableWriter<26> =
                    ::core::default::Default::default();
                if prepared_difficulty.is_some() {
                    table_writer.write_entry::<i64>(10);
                }
                if prepared_version.is_some() {
                    table_writer.write_entry::<u32>(0);
                }
                if prepared_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(1);
                }
                if prepared_prev_block_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(2);
                }
                if prepared_merkle_root.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(3);
                }
                if prepared_timestamp.is_some() {
                    table_writer.write_entry::<u32>(4);
                }
                if prepared_bits.is_some() {
                    table_writer.write_entry::<u32>(5);
                }
                if prepared_nonce.is_some() {
                    table_writer.write_entry::<u32>(6);
                }
                if prepared_pow_blob_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(7);
                }
                if prepared_adjusted_bits.is_some() {
                    table_writer.write_entry::<u32>(8);
                }
                if prepared_pow_blob.is_some() {
                    table_writer.write_entry::<::planus::Offset<self::Proof>>(9);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_difficulty) =
                            prepared_difficulty
                        {
                            object_writer.write::<_, _, 8>(&prepared_difficulty);
                        }
                        if let ::core::option::Option::Some(prepared_version) = prepared_version {
                            object_writer.write::<_, _, 4>(&prepared_version);
                        }
                        if let ::core::option::Option::Some(prepared_hash) = prepared_hash {
                            object_writer.write::<_, _, 4>(&prepared_hash);
                        }
                        if let ::core::option::Option::Some(prepared_prev_block_hash) =
                            prepared_prev_block_hash
                        {
                            object_writer.write::<_, _, 4>(&prepared_prev_block_hash);
                        }
                        if let ::core::option::Option::Some(prepared_merkle_root) =
                            prepared_merkle_root
                        {
                            object_writer.write::<_, _, 4>(&prepared_merkle_root);
                        }
                        if let ::core::option::Option::Some(prepared_timestamp) = prepared_timestamp
                        {
                            object_writer.write::<_, _, 4>(&prepared_timestamp);
                        }
                        if let ::core::option::Option::Some(prepared_bits) = prepared_bits {
                            object_writer.write::<_, _, 4>(&prepared_bits);
                        }
                        if let ::core::option::Option::Some(prepared_nonce) = prepared_nonce {
                            object_writer.write::<_, _, 4>(&prepared_nonce);
                        }
                        if let ::core::option::Option::Some(prepared_pow_blob_hash) =
                            prepared_pow_blob_hash
                        {
                            object_writer.write::<_, _, 4>(&prepared_pow_blob_hash);
                        }
                        if let ::core::option::Option::Some(prepared_adjusted_bits) =
                            prepared_adjusted_bits
                        {
                            object_writer.write::<_, _, 4>(&prepared_adjusted_bits);
                        }
                        if let ::core::option::Option::Some(prepared_pow_blob) = prepared_pow_blob {
                            object_writer.write::<_, _, 4>(&prepared_pow_blob);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<BlockValidation>> for BlockValidation {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<BlockValidation> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<BlockValidation>> for BlockValidation {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<BlockValidation>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<BlockValidation> for BlockValidation {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<BlockValidation> {
                BlockValidation::create(
                    builder,
                    self.version,
                    &self.hash,
                    &self.prev_block_hash,
                    &self.merkle_root,
                    self.timestamp,
                    self.bits,
                    self.nonce,
                    &self.pow_blob_hash,
                    self.adjusted_bits,
                    &self.pow_blob,
                    self.difficulty,
                )
            }
        }

        /// Builder for serializing an instance of the [BlockValidation] type.
        ///
        /// Can be created using the [BlockValidation::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct BlockValidationBuilder<State>(State);

        impl BlockValidationBuilder<()> {
            /// Setter for the [`version` field](BlockValidation#structfield.version).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn version<T0>(self, value: T0) -> BlockValidationBuilder<(T0,)>
            where
                T0: ::planus::WriteAsDefault<u32, u32>,
            {
                BlockValidationBuilder((value,))
            }

            /// Sets the [`version` field](BlockValidation#structfield.version) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn version_as_default(self) -> BlockValidationBuilder<(::planus::DefaultValue,)> {
                self.version(::planus::DefaultValue)
            }
        }

        impl<T0> BlockValidationBuilder<(T0,)> {
            /// Setter for the [`hash` field](BlockValidation#structfield.hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash<T1>(self, value: T1) -> BlockValidationBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0,) = self.0;
                BlockValidationBuilder((v0, value))
            }

            /// Sets the [`hash` field](BlockValidation#structfield.hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash_as_null(self) -> BlockValidationBuilder<(T0, ())> {
                self.hash(())
            }
        }

        impl<T0, T1> BlockValidationBuilder<(T0, T1)> {
            /// Setter for the [`prev_block_hash` field](BlockValidation#structfield.prev_block_hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn prev_block_hash<T2>(self, value: T2) -> BlockValidationBuilder<(T0, T1, T2)>
            where
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1) = self.0;
                BlockValidationBuilder((v0, v1, value))
            }

            /// Sets the [`prev_block_hash` field](BlockValidation#structfield.prev_block_hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn prev_block_hash_as_null(self) -> BlockValidationBuilder<(T0, T1, ())> {
                self.prev_block_hash(())
            }
        }

        impl<T0, T1, T2> BlockValidationBuilder<(T0, T1, T2)> {
            /// Setter for the [`merkle_root` field](BlockValidation#structfield.merkle_root).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn merkle_root<T3>(self, value: T3) -> BlockValidationBuilder<(T0, T1, T2, T3)>
            where
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2) = self.0;
                BlockValidationBuilder((v0, v1, v2, value))
            }

            /// Sets the [`merkle_root` field](BlockValidation#structfield.merkle_root) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn merkle_root_as_null(self) -> BlockValidationBuilder<(T0, T1, T2, ())> {
                self.merkle_root(())
            }
        }

        impl<T0, T1, T2, T3> BlockValidationBuilder<(T0, T1, T2, T3)> {
            /// Setter for the [`timestamp` field](BlockValidation#structfield.timestamp).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn timestamp<T4>(self, value: T4) -> BlockValidationBuilder<(T0, T1, T2, T3, T4)>
            where
                T4: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, value))
            }

            /// Sets the [`timestamp` field](BlockValidation#structfield.timestamp) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn timestamp_as_default(
                self,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, ::planus::DefaultValue)> {
                self.timestamp(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4> BlockValidationBuilder<(T0, T1, T2, T3, T4)> {
            /// Setter for the [`bits` field](BlockValidation#structfield.bits).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn bits<T5>(self, value: T5) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5)>
            where
                T5: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3, v4) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, v4, value))
            }

            /// Sets the [`bits` field](BlockValidation#structfield.bits) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn bits_as_default(
                self,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, ::planus::DefaultValue)> {
                self.bits(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5)> {
            /// Setter for the [`nonce` field](BlockValidation#structfield.nonce).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn nonce<T6>(
                self,
                value: T6,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6)>
            where
                T6: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3, v4, v5) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, v4, v5, value))
            }

            /// Sets the [`nonce` field](BlockValidation#structfield.nonce) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn nonce_as_default(
                self,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, ::planus::DefaultValue)>
            {
                self.nonce(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6)> {
            /// Setter for the [`pow_blob_hash` field](BlockValidation#structfield.pow_blob_hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob_hash<T7>(
                self,
                value: T7,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)>
            where
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, v4, v5, v6, value))
            }

            /// Sets the [`pow_blob_hash` field](BlockValidation#structfield.pow_blob_hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob_hash_as_null(
                self,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, ())> {
                self.pow_blob_hash(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)> {
            /// Setter for the [`adjusted_bits` field](BlockValidation#structfield.adjusted_bits).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn adjusted_bits<T8>(
                self,
                value: T8,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8)>
            where
                T8: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, v4, v5, v6, v7, value))
            }

            /// Sets the [`adjusted_bits` field](BlockValidation#structfield.adjusted_bits) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn adjusted_bits_as_default(
                self,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, ::planus::DefaultValue)>
            {
                self.adjusted_bits(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8>
            BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8)>
        {
            /// Setter for the [`pow_blob` field](BlockValidation#structfield.pow_blob).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob<T9>(
                self,
                value: T9,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9)>
            where
                T9: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, value))
            }

            /// Sets the [`pow_blob` field](BlockValidation#structfield.pow_blob) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob_as_null(
                self,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, ())> {
                self.pow_blob(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9>
            BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9)>
        {
            /// Setter for the [`difficulty` field](BlockValidation#structfield.difficulty).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn difficulty<T10>(
                self,
                value: T10,
            ) -> BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
            where
                T10: ::planus::WriteAsDefault<i64, i64>,
            {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9) = self.0;
                BlockValidationBuilder((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, value))
            }

            /// Sets the [`difficulty` field](BlockValidation#structfield.difficulty) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn difficulty_as_default(
                self,
            ) -> BlockValidationBuilder<(
                T0,
                T1,
                T2,
                T3,
                T4,
                T5,
                T6,
                T7,
                T8,
                T9,
                ::planus::DefaultValue,
            )> {
                self.difficulty(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>
            BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
        {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [BlockValidation].
            #[inline]
            pub fn finish(
                self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<BlockValidation>
            where
                Self: ::planus::WriteAsOffset<BlockValidation>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsDefault<u32, u32>,
                T6: ::planus::WriteAsDefault<u32, u32>,
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T8: ::planus::WriteAsDefault<u32, u32>,
                T9: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                T10: ::planus::WriteAsDefault<i64, i64>,
            > ::planus::WriteAs<::planus::Offset<BlockValidation>>
            for BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
        {
            type Prepared = ::planus::Offset<BlockValidation>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<BlockValidation> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsDefault<u32, u32>,
                T6: ::planus::WriteAsDefault<u32, u32>,
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T8: ::planus::WriteAsDefault<u32, u32>,
                T9: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                T10: ::planus::WriteAsDefault<i64, i64>,
            > ::planus::WriteAsOptional<::planus::Offset<BlockValidation>>
            for BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
        {
            type Prepared = ::planus::Offset<BlockValidation>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<BlockValidation>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsDefault<u32, u32>,
                T6: ::planus::WriteAsDefault<u32, u32>,
                T7: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T8: ::planus::WriteAsDefault<u32, u32>,
                T9: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                T10: ::planus::WriteAsDefault<i64, i64>,
            > ::planus::WriteAsOffset<BlockValidation>
            for BlockValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)>
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<BlockValidation> {
                let (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10) = &self.0;
                BlockValidation::create(builder, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10)
            }
        }

        /// Reference to a deserialized [BlockValidation].
        #[derive(Copy, Clone)]
        pub struct BlockValidationRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> BlockValidationRef<'a> {
            /// Getter for the [`version` field](BlockValidation#structfield.version).
            #[inline]
            pub fn version(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0.access(0, "BlockValidation", "version")?.unwrap_or(0),
                )
            }

            /// Getter for the [`hash` field](BlockValidation#structfield.hash).
            #[inline]
            pub fn hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(1, "BlockValidation", "hash")
            }

            /// Getter for the [`prev_block_hash` field](BlockValidation#structfield.prev_block_hash).
            #[inline]
            pub fn prev_block_hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(2, "BlockValidation", "prev_block_hash")
            }

            /// Getter for the [`merkle_root` field](BlockValidation#structfield.merkle_root).
            #[inline]
            pub fn merkle_root(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(3, "BlockValidation", "merkle_root")
            }

            /// Getter for the [`timestamp` field](BlockValidation#structfield.timestamp).
            #[inline]
            pub fn timestamp(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0
                        .access(4, "BlockValidation", "timestamp")?
                        .unwrap_or(0),
                )
            }

            /// Getter for the [`bits` field](BlockValidation#structfield.bits).
            #[inline]
            pub fn bits(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0.access(5, "BlockValidation", "bits")?.unwrap_or(0),
                )
            }

            /// Getter for the [`nonce` field](BlockValidation#structfield.nonce).
            #[inline]
            pub fn nonce(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0.access(6, "BlockValidation", "nonce")?.unwrap_or(0),
                )
            }

            /// Getter for the [`pow_blob_hash` field](BlockValidation#structfield.pow_blob_hash).
            #[inline]
            pub fn pow_blob_hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(7, "BlockValidation", "pow_blob_hash")
            }

            /// Getter for the [`adjusted_bits` field](BlockValidation#structfield.adjusted_bits).
            #[inline]
            pub fn adjusted_bits(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0
                        .access(8, "BlockValidation", "adjusted_bits")?
                        .unwrap_or(0),
                )
            }

            /// Getter for the [`pow_blob` field](BlockValidation#structfield.pow_blob).
            #[inline]
            pub fn pow_blob(&self) -> ::planus::Result<::core::option::Option<self::ProofRef<'a>>> {
                self.0.access(9, "BlockValidation", "pow_blob")
            }

            /// Getter for the [`difficulty` field](BlockValidation#structfield.difficulty).
            #[inline]
            pub fn difficulty(&self) -> ::planus::Result<i64> {
                ::core::result::Result::Ok(
                    self.0
                        .access(10, "BlockValidation", "difficulty")?
                        .unwrap_or(0),
                )
            }
        }

        impl<'a> ::core::fmt::Debug for BlockValidationRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("BlockValidationRef");
                f.field("version", &self.version());
                if let ::core::option::Option::Some(field_hash) = self.hash().transpose() {
                    f.field("hash", &field_hash);
                }
                if let ::core::option::Option::Some(field_prev_block_hash) =
                    self.prev_block_hash().transpose()
                {
                    f.field("prev_block_hash", &field_prev_block_hash);
                }
                if let ::core::option::Option::Some(field_merkle_root) =
                    self.merkle_root().transpose()
                {
                    f.field("merkle_root", &field_merkle_root);
                }
                f.field("timestamp", &self.timestamp());
                f.field("bits", &self.bits());
                f.field("nonce", &self.nonce());
                if let ::core::option::Option::Some(field_pow_blob_hash) =
                    self.pow_blob_hash().transpose()
                {
                    f.field("pow_blob_hash", &field_pow_blob_hash);
                }
                f.field("adjusted_bits", &self.adjusted_bits());
                if let ::core::option::Option::Some(field_pow_blob) = self.pow_blob().transpose() {
                    f.field("pow_blob", &field_pow_blob);
                }
                f.field("difficulty", &self.difficulty());
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<BlockValidationRef<'a>> for BlockValidation {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: BlockValidationRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    version: ::core::convert::TryInto::try_into(value.version()?)?,
                    hash: value.hash()?.map(|v| v.to_vec()),
                    prev_block_hash: value.prev_block_hash()?.map(|v| v.to_vec()),
                    merkle_root: value.merkle_root()?.map(|v| v.to_vec()),
                    timestamp: ::core::convert::TryInto::try_into(value.timestamp()?)?,
                    bits: ::core::convert::TryInto::try_into(value.bits()?)?,
                    nonce: ::core::convert::TryInto::try_into(value.nonce()?)?,
                    pow_blob_hash: value.pow_blob_hash()?.map(|v| v.to_vec()),
                    adjusted_bits: ::core::convert::TryInto::try_into(value.adjusted_bits()?)?,
                    pow_blob: if let ::core::option::Option::Some(pow_blob) = value.pow_blob()? {
                        ::core::option::Option::Some(::planus::alloc::boxed::Box::new(
                            ::core::convert::TryInto::try_into(pow_blob)?,
                        ))
                    } else {
                        ::core::option::Option::None
                    },
                    difficulty: ::core::convert::TryInto::try_into(value.difficulty()?)?,
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for BlockValidationRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for BlockValidationRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[BlockValidationRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<BlockValidation>> for BlockValidation {
            type Value = ::planus::Offset<BlockValidation>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<BlockValidation>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for BlockValidationRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[BlockValidationRef]", "read_as_root", 0)
                })
            }
        }

        /// The table `ModelValidation` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `ModelValidation` in the file `schema/validation.fbs:65`
        #[derive(
            Clone,
            Debug,
            PartialEq,
            PartialOrd,
            Eq,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        pub struct ModelValidation {
            /// The field `model_name` in the table `ModelValidation`
            pub model_name: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `model_commit` in the table `ModelValidation`
            pub model_commit: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `difficulty` in the table `ModelValidation`
            pub difficulty: i64,
            /// The field `cid` in the table `ModelValidation`
            pub cid: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `extra` in the table `ModelValidation`
            pub extra: ::core::option::Option<::planus::alloc::string::String>,
            /// The field `txid` in the table `ModelValidation`
            pub txid: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `block_hash` in the table `ModelValidation`
            pub block_hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `block_height` in the table `ModelValidation`
            pub block_height: i32,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for ModelValidation {
            fn default() -> Self {
                Self {
                    model_name: ::core::default::Default::default(),
                    model_commit: ::core::default::Default::default(),
                    difficulty: 0,
                    cid: ::core::default::Default::default(),
                    extra: ::core::default::Default::default(),
                    txid: ::core::default::Default::default(),
                    block_hash: ::core::default::Default::default(),
                    block_height: 0,
                }
            }
        }

        impl ModelValidation {
            /// Creates a [ModelValidationBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> ModelValidationBuilder<()> {
                ModelValidationBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_model_name: impl ::planus::WriteAsOptional<
                    ::planus::Offset<::core::primitive::str>,
                >,
                field_model_commit: impl ::planus::WriteAsOptional<
                    ::planus::Offset<::core::primitive::str>,
                >,
                field_difficulty: impl ::planus::WriteAsDefault<i64, i64>,
                field_cid: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                field_extra: impl ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                field_txid: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_block_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_block_height: impl ::planus::WriteAsDefault<i32, i32>,
            ) -> ::planus::Offset<Self> {
                let prepared_model_name = field_model_name.prepare(builder);
                let prepared_model_commit = field_model_commit.prepare(builder);
                let prepared_difficulty = field_difficulty.prepare(builder, &0);
                let prepared_cid = field_cid.prepare(builder);
                let prepared_extra = field_extra.prepare(builder);
                let prepared_txid = field_txid.prepare(builder);
                let prepared_block_hash = field_block_hash.prepare(builder);
                let prepared_block_height = field_block_height.prepare(builder, &0);

                let mut table_writer: ::planus::table_writer::TableWriter<20> =
                    ::core::default::Default::default();
                if prepared_difficulty.is_some() {
                    table_writer.write_entry::<i64>(2);
                }
                if prepared_model_name.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(0);
                }
                if prepared_model_commit.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(1);
                }
                if prepared_cid.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(3);
                }
                if prepared_extra.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(4);
                }
                if prepared_txid.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(5);
                }
                if prepared_block_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(6);
                }
                if prepared_block_height.is_some() {
                    table_writer.write_entry::<i32>(7);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_difficulty) =
                            prepared_difficulty
                        {
                            object_writer.write::<_, _, 8>(&prepared_difficulty);
                        }
                        if let ::core::option::Option::Some(prepared_model_name) =
                            prepared_model_name
                        {
                            object_writer.write::<_, _, 4>(&prepared_model_name);
                        }
                        if let ::core::option::Option::Some(prepared_model_commit) =
                            prepared_model_commit
                        {
                            object_writer.write::<_, _, 4>(&prepared_model_commit);
                        }
                        if let ::core::option::Option::Some(prepared_cid) = prepared_cid {
                            object_writer.write::<_, _, 4>(&prepared_cid);
                        }
                        if let ::core::option::Option::Some(prepared_extra) = prepared_extra {
                            object_writer.write::<_, _, 4>(&prepared_extra);
                        }
                        if let ::core::option::Option::Some(prepared_txid) = prepared_txid {
                            object_writer.write::<_, _, 4>(&prepared_txid);
                        }
                        if let ::core::option::Option::Some(prepared_block_hash) =
                            prepared_block_hash
                        {
                            object_writer.write::<_, _, 4>(&prepared_block_hash);
                        }
                        if let ::core::option::Option::Some(prepared_block_height) =
                            prepared_block_height
                        {
                            object_writer.write::<_, _, 4>(&prepared_block_height);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<ModelValidation>> for ModelValidation {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ModelValidation> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<ModelValidation>> for ModelValidation {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<ModelValidation>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<ModelValidation> for ModelValidation {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ModelValidation> {
                ModelValidation::create(
                    builder,
                    &self.model_name,
                    &self.model_commit,
                    self.difficulty,
                    &self.cid,
                    &self.extra,
                    &self.txid,
                    &self.block_hash,
                    self.block_height,
                )
            }
        }

        /// Builder for serializing an instance of the [ModelValidation] type.
        ///
        /// Can be created using the [ModelValidation::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct ModelValidationBuilder<State>(State);

        impl ModelValidationBuilder<()> {
            /// Setter for the [`model_name` field](ModelValidation#structfield.model_name).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn model_name<T0>(self, value: T0) -> ModelValidationBuilder<(T0,)>
            where
                T0: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                ModelValidationBuilder((value,))
            }

            /// Sets the [`model_name` field](ModelValidation#structfield.model_name) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn model_name_as_null(self) -> ModelValidationBuilder<((),)> {
                self.model_name(())
            }
        }

        impl<T0> ModelValidationBuilder<(T0,)> {
            /// Setter for the [`model_commit` field](ModelValidation#structfield.model_commit).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn model_commit<T1>(self, value: T1) -> ModelValidationBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0,) = self.0;
                ModelValidationBuilder((v0, value))
            }

            /// Sets the [`model_commit` field](ModelValidation#structfield.model_commit) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn model_commit_as_null(self) -> ModelValidationBuilder<(T0, ())> {
                self.model_commit(())
            }
        }

        impl<T0, T1> ModelValidationBuilder<(T0, T1)> {
            /// Setter for the [`difficulty` field](ModelValidation#structfield.difficulty).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn difficulty<T2>(self, value: T2) -> ModelValidationBuilder<(T0, T1, T2)>
            where
                T2: ::planus::WriteAsDefault<i64, i64>,
            {
                let (v0, v1) = self.0;
                ModelValidationBuilder((v0, v1, value))
            }

            /// Sets the [`difficulty` field](ModelValidation#structfield.difficulty) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn difficulty_as_default(
                self,
            ) -> ModelValidationBuilder<(T0, T1, ::planus::DefaultValue)> {
                self.difficulty(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2> ModelValidationBuilder<(T0, T1, T2)> {
            /// Setter for the [`cid` field](ModelValidation#structfield.cid).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn cid<T3>(self, value: T3) -> ModelValidationBuilder<(T0, T1, T2, T3)>
            where
                T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2) = self.0;
                ModelValidationBuilder((v0, v1, v2, value))
            }

            /// Sets the [`cid` field](ModelValidation#structfield.cid) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn cid_as_null(self) -> ModelValidationBuilder<(T0, T1, T2, ())> {
                self.cid(())
            }
        }

        impl<T0, T1, T2, T3> ModelValidationBuilder<(T0, T1, T2, T3)> {
            /// Setter for the [`extra` field](ModelValidation#structfield.extra).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn extra<T4>(self, value: T4) -> ModelValidationBuilder<(T0, T1, T2, T3, T4)>
            where
                T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2, v3) = self.0;
                ModelValidationBuilder((v0, v1, v2, v3, value))
            }

            /// Sets the [`extra` field](ModelValidation#structfield.extra) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn extra_as_null(self) -> ModelValidationBuilder<(T0, T1, T2, T3, ())> {
                self.extra(())
            }
        }

        impl<T0, T1, T2, T3, T4> ModelValidationBuilder<(T0, T1, T2, T3, T4)> {
            /// Setter for the [`txid` field](ModelValidation#structfield.txid).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn txid<T5>(self, value: T5) -> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5)>
            where
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3, v4) = self.0;
                ModelValidationBuilder((v0, v1, v2, v3, v4, value))
            }

            /// Sets the [`txid` field](ModelValidation#structfield.txid) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn txid_as_null(self) -> ModelValidationBuilder<(T0, T1, T2, T3, T4, ())> {
                self.txid(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5)> {
            /// Setter for the [`block_hash` field](ModelValidation#structfield.block_hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn block_hash<T6>(
                self,
                value: T6,
            ) -> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6)>
            where
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2, v3, v4, v5) = self.0;
                ModelValidationBuilder((v0, v1, v2, v3, v4, v5, value))
            }

            /// Sets the [`block_hash` field](ModelValidation#structfield.block_hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn block_hash_as_null(
                self,
            ) -> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, ())> {
                self.block_hash(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6)> {
            /// Setter for the [`block_height` field](ModelValidation#structfield.block_height).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn block_height<T7>(
                self,
                value: T7,
            ) -> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)>
            where
                T7: ::planus::WriteAsDefault<i32, i32>,
            {
                let (v0, v1, v2, v3, v4, v5, v6) = self.0;
                ModelValidationBuilder((v0, v1, v2, v3, v4, v5, v6, value))
            }

            /// Sets the [`block_height` field](ModelValidation#structfield.block_height) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn block_height_as_default(
                self,
            ) -> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, ::planus::DefaultValue)>
            {
                self.block_height(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6, T7> ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [ModelValidation].
            #[inline]
            pub fn finish(
                self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ModelValidation>
            where
                Self: ::planus::WriteAsOffset<ModelValidation>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T2: ::planus::WriteAsDefault<i64, i64>,
                T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T7: ::planus::WriteAsDefault<i32, i32>,
            > ::planus::WriteAs<::planus::Offset<ModelValidation>>
            for ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)>
        {
            type Prepared = ::planus::Offset<ModelValidation>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ModelValidation> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T2: ::planus::WriteAsDefault<i64, i64>,
                T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T7: ::planus::WriteAsDefault<i32, i32>,
            > ::planus::WriteAsOptional<::planus::Offset<ModelValidation>>
            for ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)>
        {
            type Prepared = ::planus::Offset<ModelValidation>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<ModelValidation>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T1: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T2: ::planus::WriteAsDefault<i64, i64>,
                T3: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T4: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
                T5: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T7: ::planus::WriteAsDefault<i32, i32>,
            > ::planus::WriteAsOffset<ModelValidation>
            for ModelValidationBuilder<(T0, T1, T2, T3, T4, T5, T6, T7)>
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ModelValidation> {
                let (v0, v1, v2, v3, v4, v5, v6, v7) = &self.0;
                ModelValidation::create(builder, v0, v1, v2, v3, v4, v5, v6, v7)
            }
        }

        /// Reference to a deserialized [ModelValidation].
        #[derive(Copy, Clone)]
        pub struct ModelValidationRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> ModelValidationRef<'a> {
            /// Getter for the [`model_name` field](ModelValidation#structfield.model_name).
            #[inline]
            pub fn model_name(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(0, "ModelValidation", "model_name")
            }

            /// Getter for the [`model_commit` field](ModelValidation#structfield.model_commit).
            #[inline]
            pub fn model_commit(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(1, "ModelValidation", "model_commit")
            }

            /// Getter for the [`difficulty` field](ModelValidation#structfield.difficulty).
            #[inline]
            pub fn difficulty(&self) -> ::planus::Result<i64> {
                ::core::result::Result::Ok(
                    self.0
                        .access(2, "ModelValidation", "difficulty")?
                        .unwrap_or(0),
                )
            }

            /// Getter for the [`cid` field](ModelValidation#structfield.cid).
            #[inline]
            pub fn cid(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(3, "ModelValidation", "cid")
            }

            /// Getter for the [`extra` field](ModelValidation#structfield.extra).
            #[inline]
            pub fn extra(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(4, "ModelValidation", "extra")
            }

            /// Getter for the [`txid` field](ModelValidation#structfield.txid).
            #[inline]
            pub fn txid(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(5, "ModelValidation", "txid")
            }

            /// Getter for the [`block_hash` field](ModelValidation#structfield.block_hash).
            #[inline]
            pub fn block_hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(6, "ModelValidation", "block_hash")
            }

            /// Getter for the [`block_height` field](ModelValidation#structfield.block_height).
            #[inline]
            pub fn block_height(&self) -> ::planus::Result<i32> {
                ::core::result::Result::Ok(
                    self.0
                        .access(7, "ModelValidation", "block_height")?
                        .unwrap_or(0),
                )
            }
        }

        impl<'a> ::core::fmt::Debug for ModelValidationRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("ModelValidationRef");
                if let ::core::option::Option::Some(field_model_name) =
                    self.model_name().transpose()
                {
                    f.field("model_name", &field_model_name);
                }
                if let ::core::option::Option::Some(field_model_commit) =
                    self.model_commit().transpose()
                {
                    f.field("model_commit", &field_model_commit);
                }
                f.field("difficulty", &self.difficulty());
                if let ::core::option::Option::Some(field_cid) = self.cid().transpose() {
                    f.field("cid", &field_cid);
                }
                if let ::core::option::Option::Some(field_extra) = self.extra().transpose() {
                    f.field("extra", &field_extra);
                }
                if let ::core::option::Option::Some(field_txid) = self.txid().transpose() {
                    f.field("txid", &field_txid);
                }
                if let ::core::option::Option::Some(field_block_hash) =
                    self.block_hash().transpose()
                {
                    f.field("block_hash", &field_block_hash);
                }
                f.field("block_height", &self.block_height());
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<ModelValidationRef<'a>> for ModelValidation {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: ModelValidationRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    model_name: value.model_name()?.map(::core::convert::Into::into),
                    model_commit: value.model_commit()?.map(::core::convert::Into::into),
                    difficulty: ::core::convert::TryInto::try_into(value.difficulty()?)?,
                    cid: value.cid()?.map(::core::convert::Into::into),
                    extra: value.extra()?.map(::core::convert::Into::into),
                    txid: value.txid()?.map(|v| v.to_vec()),
                    block_hash: value.block_hash()?.map(|v| v.to_vec()),
                    block_height: ::core::convert::TryInto::try_into(value.block_height()?)?,
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for ModelValidationRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for ModelValidationRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[ModelValidationRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<ModelValidation>> for ModelValidation {
            type Value = ::planus::Offset<ModelValidation>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<ModelValidation>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for ModelValidationRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[ModelValidationRef]", "read_as_root", 0)
                })
            }
        }

        /// The union `ValidationUnion` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Union `ValidationUnion` in the file `schema/validation.fbs:76`
        #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
        pub enum ValidationUnion {
            /// The variant of type `BlockValidation` in the union `ValidationUnion`
            BlockValidation(::planus::alloc::boxed::Box<self::BlockValidation>),

            /// The variant of type `ModelValidation` in the union `ValidationUnion`
            ModelValidation(::planus::alloc::boxed::Box<self::ModelValidation>),
        }

        impl ValidationUnion {
            /// Creates a [ValidationUnionBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> ValidationUnionBuilder<::planus::Uninitialized> {
                ValidationUnionBuilder(::planus::Uninitialized)
            }

            #[inline]
            pub fn create_block_validation(
                builder: &mut ::planus::Builder,
                value: impl ::planus::WriteAsOffset<self::BlockValidation>,
            ) -> ::planus::UnionOffset<Self> {
                ::planus::UnionOffset::new(1, value.prepare(builder).downcast())
            }

            #[inline]
            pub fn create_model_validation(
                builder: &mut ::planus::Builder,
                value: impl ::planus::WriteAsOffset<self::ModelValidation>,
            ) -> ::planus::UnionOffset<Self> {
                ::planus::UnionOffset::new(2, value.prepare(builder).downcast())
            }
        }

        impl ::planus::WriteAsUnion<ValidationUnion> for ValidationUnion {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::UnionOffset<Self> {
                match self {
                    Self::BlockValidation(value) => Self::create_block_validation(builder, value),
                    Self::ModelValidation(value) => Self::create_model_validation(builder, value),
                }
            }
        }

        impl ::planus::WriteAsOptionalUnion<ValidationUnion> for ValidationUnion {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::UnionOffset<Self>> {
                ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
            }
        }

        /// Builder for serializing an instance of the [ValidationUnion] type.
        ///
        /// Can be created using the [ValidationUnion::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct ValidationUnionBuilder<T>(T);

        impl ValidationUnionBuilder<::planus::Uninitialized> {
            /// Creates an instance of the [`BlockValidation` variant](ValidationUnion#variant.BlockValidation).
            #[inline]
            pub fn block_validation<T>(
                self,
                value: T,
            ) -> ValidationUnionBuilder<::planus::Initialized<1, T>>
            where
                T: ::planus::WriteAsOffset<self::BlockValidation>,
            {
                ValidationUnionBuilder(::planus::Initialized(value))
            }

            /// Creates an instance of the [`ModelValidation` variant](ValidationUnion#variant.ModelValidation).
            #[inline]
            pub fn model_validation<T>(
                self,
                value: T,
            ) -> ValidationUnionBuilder<::planus::Initialized<2, T>>
            where
                T: ::planus::WriteAsOffset<self::ModelValidation>,
            {
                ValidationUnionBuilder(::planus::Initialized(value))
            }
        }

        impl<const N: u8, T> ValidationUnionBuilder<::planus::Initialized<N, T>> {
            /// Finish writing the builder to get an [UnionOffset](::planus::UnionOffset) to a serialized [ValidationUnion].
            #[inline]
            pub fn finish(
                self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::UnionOffset<ValidationUnion>
            where
                Self: ::planus::WriteAsUnion<ValidationUnion>,
            {
                ::planus::WriteAsUnion::prepare(&self, builder)
            }
        }

        impl<T> ::planus::WriteAsUnion<ValidationUnion>
            for ValidationUnionBuilder<::planus::Initialized<1, T>>
        where
            T: ::planus::WriteAsOffset<self::BlockValidation>,
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::UnionOffset<ValidationUnion> {
                ::planus::UnionOffset::new(1, (self.0).0.prepare(builder).downcast())
            }
        }

        impl<T> ::planus::WriteAsOptionalUnion<ValidationUnion>
            for ValidationUnionBuilder<::planus::Initialized<1, T>>
        where
            T: ::planus::WriteAsOffset<self::BlockValidation>,
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::UnionOffset<ValidationUnion>> {
                ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
            }
        }
        impl<T> ::planus::WriteAsUnion<ValidationUnion>
            for ValidationUnionBuilder<::planus::Initialized<2, T>>
        where
            T: ::planus::WriteAsOffset<self::ModelValidation>,
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::UnionOffset<ValidationUnion> {
                ::planus::UnionOffset::new(2, (self.0).0.prepare(builder).downcast())
            }
        }

        impl<T> ::planus::WriteAsOptionalUnion<ValidationUnion>
            for ValidationUnionBuilder<::planus::Initialized<2, T>>
        where
            T: ::planus::WriteAsOffset<self::ModelValidation>,
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::UnionOffset<ValidationUnion>> {
                ::core::option::Option::Some(::planus::WriteAsUnion::prepare(self, builder))
            }
        }

        /// Reference to a deserialized [ValidationUnion].
        #[derive(Copy, Clone, Debug)]
        pub enum ValidationUnionRef<'a> {
            BlockValidation(self::BlockValidationRef<'a>),
            ModelValidation(self::ModelValidationRef<'a>),
        }

        impl<'a> ::core::convert::TryFrom<ValidationUnionRef<'a>> for ValidationUnion {
            type Error = ::planus::Error;

            fn try_from(value: ValidationUnionRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(match value {
                    ValidationUnionRef::BlockValidation(value) => {
                        Self::BlockValidation(::planus::alloc::boxed::Box::new(
                            ::core::convert::TryFrom::try_from(value)?,
                        ))
                    }

                    ValidationUnionRef::ModelValidation(value) => {
                        Self::ModelValidation(::planus::alloc::boxed::Box::new(
                            ::core::convert::TryFrom::try_from(value)?,
                        ))
                    }
                })
            }
        }

        impl<'a> ::planus::TableReadUnion<'a> for ValidationUnionRef<'a> {
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                tag: u8,
                field_offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                match tag {
                    1 => ::core::result::Result::Ok(Self::BlockValidation(
                        ::planus::TableRead::from_buffer(buffer, field_offset)?,
                    )),
                    2 => ::core::result::Result::Ok(Self::ModelValidation(
                        ::planus::TableRead::from_buffer(buffer, field_offset)?,
                    )),
                    _ => {
                        ::core::result::Result::Err(::planus::errors::ErrorKind::UnknownUnionTag {
                            tag,
                        })
                    }
                }
            }
        }

        impl<'a> ::planus::VectorReadUnion<'a> for ValidationUnionRef<'a> {
            const VECTOR_NAME: &'static str = "[ValidationUnionRef]";
        }

        /// The table `ValidationRequest` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `ValidationRequest` in the file `schema/validation.fbs:81`
        #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
        pub struct ValidationRequest {
            /// The field `hash_id` in the table `ValidationRequest`
            pub hash_id: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `validation_type` in the table `ValidationRequest`
            pub validation_type: self::ValidationType,
            /// The field `request` in the table `ValidationRequest`
            pub request: ::core::option::Option<self::ValidationUnion>,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for ValidationRequest {
            fn default() -> Self {
                Self {
                    hash_id: ::core::default::Default::default(),
                    validation_type: self::ValidationType::Quick,
                    request: ::core::default::Default::default(),
                }
            }
        }

        impl ValidationRequest {
            /// Creates a [ValidationRequestBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> ValidationRequestBuilder<()> {
                ValidationRequestBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_hash_id: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_validation_type: impl ::planus::WriteAsDefault<
                    self::ValidationType,
                    self::ValidationType,
                >,
                field_request: impl ::planus::WriteAsOptionalUnion<self::ValidationUnion>,
            ) -> ::planus::Offset<Self> {
                let prepared_hash_id = field_hash_id.prepare(builder);
                let prepared_validation_type =
                    field_validation_type.prepare(builder, &self::ValidationType::Quick);
                let prepared_request = field_request.prepare(builder);

                let mut table_writer: ::planus::table_writer::TableWriter<12> =
                    ::core::default::Default::default();
                if prepared_hash_id.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(0);
                }
                if prepared_request.is_some() {
                    table_writer.write_entry::<::planus::Offset<self::ValidationUnion>>(3);
                }
                if prepared_validation_type.is_some() {
                    table_writer.write_entry::<self::ValidationType>(1);
                }
                if prepared_request.is_some() {
                    table_writer.write_entry::<u8>(2);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_hash_id) = prepared_hash_id {
                            object_writer.write::<_, _, 4>(&prepared_hash_id);
                        }
                        if let ::core::option::Option::Some(prepared_request) = prepared_request {
                            object_writer.write::<_, _, 4>(&prepared_request.offset());
                        }
                        if let ::core::option::Option::Some(prepared_validation_type) =
                            prepared_validation_type
                        {
                            object_writer.write::<_, _, 1>(&prepared_validation_type);
                        }
                        if let ::core::option::Option::Some(prepared_request) = prepared_request {
                            object_writer.write::<_, _, 1>(&prepared_request.tag());
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<ValidationRequest>> for ValidationRequest {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationRequest> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<ValidationRequest>> for ValidationRequest {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<ValidationRequest>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<ValidationRequest> for ValidationRequest {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationRequest> {
                ValidationRequest::create(
                    builder,
                    &self.hash_id,
                    self.validation_type,
                    &self.request,
                )
            }
        }

        /// Builder for serializing an instance of the [ValidationRequest] type.
        ///
        /// Can be created using the [ValidationRequest::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct ValidationRequestBuilder<State>(State);

        impl ValidationRequestBuilder<()> {
            /// Setter for the [`hash_id` field](ValidationRequest#structfield.hash_id).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash_id<T0>(self, value: T0) -> ValidationRequestBuilder<(T0,)>
            where
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                ValidationRequestBuilder((value,))
            }

            /// Sets the [`hash_id` field](ValidationRequest#structfield.hash_id) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash_id_as_null(self) -> ValidationRequestBuilder<((),)> {
                self.hash_id(())
            }
        }

        impl<T0> ValidationRequestBuilder<(T0,)> {
            /// Setter for the [`validation_type` field](ValidationRequest#structfield.validation_type).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn validation_type<T1>(self, value: T1) -> ValidationRequestBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsDefault<self::ValidationType, self::ValidationType>,
            {
                let (v0,) = self.0;
                ValidationRequestBuilder((v0, value))
            }

            /// Sets the [`validation_type` field](ValidationRequest#structfield.validation_type) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn validation_type_as_default(
                self,
            ) -> ValidationRequestBuilder<(T0, ::planus::DefaultValue)> {
                self.validation_type(::planus::DefaultValue)
            }
        }

        impl<T0, T1> ValidationRequestBuilder<(T0, T1)> {
            /// Setter for the [`request` field](ValidationRequest#structfield.request).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn request<T2>(self, value: T2) -> ValidationRequestBuilder<(T0, T1, T2)>
            where
                T2: ::planus::WriteAsOptionalUnion<self::ValidationUnion>,
            {
                let (v0, v1) = self.0;
                ValidationRequestBuilder((v0, v1, value))
            }

            /// Sets the [`request` field](ValidationRequest#structfield.request) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn request_as_null(self) -> ValidationRequestBuilder<(T0, T1, ())> {
                self.request(())
            }
        }

        impl<T0, T1, T2> ValidationRequestBuilder<(T0, T1, T2)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [ValidationRequest].
            #[inline]
            pub fn finish(
                self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationRequest>
            where
                Self: ::planus::WriteAsOffset<ValidationRequest>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T1: ::planus::WriteAsDefault<self::ValidationType, self::ValidationType>,
                T2: ::planus::WriteAsOptionalUnion<self::ValidationUnion>,
            > ::planus::WriteAs<::planus::Offset<ValidationRequest>>
            for ValidationRequestBuilder<(T0, T1, T2)>
        {
            type Prepared = ::planus::Offset<ValidationRequest>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationRequest> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T1: ::planus::WriteAsDefault<self::ValidationType, self::ValidationType>,
                T2: ::planus::WriteAsOptionalUnion<self::ValidationUnion>,
            > ::planus::WriteAsOptional<::planus::Offset<ValidationRequest>>
            for ValidationRequestBuilder<(T0, T1, T2)>
        {
            type Prepared = ::planus::Offset<ValidationRequest>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<ValidationRequest>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T1: ::planus::WriteAsDefault<self::ValidationType, self::ValidationType>,
                T2: ::planus::WriteAsOptionalUnion<self::ValidationUnion>,
            > ::planus::WriteAsOffset<ValidationRequest>
            for ValidationRequestBuilder<(T0, T1, T2)>
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationRequest> {
                let (v0, v1, v2) = &self.0;
                ValidationRequest::create(builder, v0, v1, v2)
            }
        }

        /// Reference to a deserialized [ValidationRequest].
        #[derive(Copy, Clone)]
        pub struct ValidationRequestRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> ValidationRequestRef<'a> {
            /// Getter for the [`hash_id` field](ValidationRequest#structfield.hash_id).
            #[inline]
            pub fn hash_id(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(0, "ValidationRequest", "hash_id")
            }

            /// Getter for the [`validation_type` field](ValidationRequest#structfield.validation_type).
            #[inline]
            pub fn validation_type(&self) -> ::planus::Result<self::ValidationType> {
                ::core::result::Result::Ok(
                    self.0
                        .access(1, "ValidationRequest", "validation_type")?
                        .unwrap_or(self::ValidationType::Quick),
                )
            }

            /// Getter for the [`request` field](ValidationRequest#structfield.request).
            #[inline]
            pub fn request(
                &self,
            ) -> ::planus::Result<::core::option::Option<self::ValidationUnionRef<'a>>>
            {
                self.0.access_union(2, "ValidationRequest", "request")
            }
        }

        impl<'a> ::core::fmt::Debug for ValidationRequestRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("ValidationRequestRef");
                if let ::core::option::Option::Some(field_hash_id) = self.hash_id().transpose() {
                    f.field("hash_id", &field_hash_id);
                }
                f.field("validation_type", &self.validation_type());
                if let ::core::option::Option::Some(field_request) = self.request().transpose() {
                    f.field("request", &field_request);
                }
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<ValidationRequestRef<'a>> for ValidationRequest {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: ValidationRequestRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    hash_id: value.hash_id()?.map(|v| v.to_vec()),
                    validation_type: ::core::convert::TryInto::try_into(value.validation_type()?)?,
                    request: if let ::core::option::Option::Some(request) = value.request()? {
                        ::core::option::Option::Some(::core::convert::TryInto::try_into(request)?)
                    } else {
                        ::core::option::Option::None
                    },
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for ValidationRequestRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for ValidationRequestRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[ValidationRequestRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<ValidationRequest>> for ValidationRequest {
            type Value = ::planus::Offset<ValidationRequest>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<ValidationRequest>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for ValidationRequestRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[ValidationRequestRef]", "read_as_root", 0)
                })
            }
        }

        /// The table `ValidationResponse` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `ValidationResponse` in the file `schema/validation.fbs:87`
        #[derive(
            Clone,
            Debug,
            PartialEq,
            PartialOrd,
            Eq,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        pub struct ValidationResponse {
            /// The field `hash_identifier` in the table `ValidationResponse`
            pub hash_identifier: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `enum_response` in the table `ValidationResponse`
            pub enum_response: self::ResponseValue,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for ValidationResponse {
            fn default() -> Self {
                Self {
                    hash_identifier: ::core::default::Default::default(),
                    enum_response: self::ResponseValue::QuickOk,
                }
            }
        }

        impl ValidationResponse {
            /// Creates a [ValidationResponseBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> ValidationResponseBuilder<()> {
                ValidationResponseBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_hash_identifier: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_enum_response: impl ::planus::WriteAsDefault<
                    self::ResponseValue,
                    self::ResponseValue,
                >,
            ) -> ::planus::Offset<Self> {
                let prepared_hash_identifier = field_hash_identifier.prepare(builder);
                let prepared_enum_response =
                    field_enum_response.prepare(builder, &self::ResponseValue::QuickOk);

                let mut table_writer: ::planus::table_writer::TableWriter<8> =
                    ::core::default::Default::default();
                if prepared_hash_identifier.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(0);
                }
                if prepared_enum_response.is_some() {
                    table_writer.write_entry::<self::ResponseValue>(1);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_hash_identifier) =
                            prepared_hash_identifier
                        {
                            object_writer.write::<_, _, 4>(&prepared_hash_identifier);
                        }
                        if let ::core::option::Option::Some(prepared_enum_response) =
                            prepared_enum_response
                        {
                            object_writer.write::<_, _, 1>(&prepared_enum_response);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<ValidationResponse>> for ValidationResponse {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationResponse> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<ValidationResponse>> for ValidationResponse {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<ValidationResponse>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<ValidationResponse> for ValidationResponse {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationResponse> {
                ValidationResponse::create(builder, &self.hash_identifier, self.enum_response)
            }
        }

        /// Builder for serializing an instance of the [ValidationResponse] type.
        ///
        /// Can be created using the [ValidationResponse::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct ValidationResponseBuilder<State>(State);

        impl ValidationResponseBuilder<()> {
            /// Setter for the [`hash_identifier` field](ValidationResponse#structfield.hash_identifier).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash_identifier<T0>(self, value: T0) -> ValidationResponseBuilder<(T0,)>
            where
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                ValidationResponseBuilder((value,))
            }

            /// Sets the [`hash_identifier` field](ValidationResponse#structfield.hash_identifier) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn hash_identifier_as_null(self) -> ValidationResponseBuilder<((),)> {
                self.hash_identifier(())
            }
        }

        impl<T0> ValidationResponseBuilder<(T0,)> {
            /// Setter for the [`enum_response` field](ValidationResponse#structfield.enum_response).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn enum_response<T1>(self, value: T1) -> ValidationResponseBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsDefault<self::ResponseValue, self::ResponseValue>,
            {
                let (v0,) = self.0;
                ValidationResponseBuilder((v0, value))
            }

            /// Sets the [`enum_response` field](ValidationResponse#structfield.enum_response) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn enum_response_as_default(
                self,
            ) -> ValidationResponseBuilder<(T0, ::planus::DefaultValue)> {
                self.enum_response(::planus::DefaultValue)
            }
        }

        impl<T0, T1> ValidationResponseBuilder<(T0, T1)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [ValidationResponse].
            #[inline]
            pub fn finish(
                self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationResponse>
            where
                Self: ::planus::WriteAsOffset<ValidationResponse>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T1: ::planus::WriteAsDefault<self::ResponseValue, self::ResponseValue>,
            > ::planus::WriteAs<::planus::Offset<ValidationResponse>>
            for ValidationResponseBuilder<(T0, T1)>
        {
            type Prepared = ::planus::Offset<ValidationResponse>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationResponse> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T1: ::planus::WriteAsDefault<self::ResponseValue, self::ResponseValue>,
            > ::planus::WriteAsOptional<::planus::Offset<ValidationResponse>>
            for ValidationResponseBuilder<(T0, T1)>
        {
            type Prepared = ::planus::Offset<ValidationResponse>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<ValidationResponse>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T1: ::planus::WriteAsDefault<self::ResponseValue, self::ResponseValue>,
            > ::planus::WriteAsOffset<ValidationResponse> for ValidationResponseBuilder<(T0, T1)>
        {
            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::planus::Offset<ValidationResponse> {
                let (v0, v1) = &self.0;
                ValidationResponse::create(builder, v0, v1)
            }
        }

        /// Reference to a deserialized [ValidationResponse].
        #[derive(Copy, Clone)]
        pub struct ValidationResponseRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> ValidationResponseRef<'a> {
            /// Getter for the [`hash_identifier` field](ValidationResponse#structfield.hash_identifier).
            #[inline]
            pub fn hash_identifier(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(0, "ValidationResponse", "hash_identifier")
            }

            /// Getter for the [`enum_response` field](ValidationResponse#structfield.enum_response).
            #[inline]
            pub fn enum_response(&self) -> ::planus::Result<self::ResponseValue> {
                ::core::result::Result::Ok(
                    self.0
                        .access(1, "ValidationResponse", "enum_response")?
                        .unwrap_or(self::ResponseValue::QuickOk),
                )
            }
        }

        impl<'a> ::core::fmt::Debug for ValidationResponseRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("ValidationResponseRef");
                if let ::core::option::Option::Some(field_hash_identifier) =
                    self.hash_identifier().transpose()
                {
                    f.field("hash_identifier", &field_hash_identifier);
                }
                f.field("enum_response", &self.enum_response());
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<ValidationResponseRef<'a>> for ValidationResponse {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: ValidationResponseRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    hash_identifier: value.hash_identifier()?.map(|v| v.to_vec()),
                    enum_response: ::core::convert::TryInto::try_into(value.enum_response()?)?,
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for ValidationResponseRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for ValidationResponseRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[ValidationResponseRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<ValidationResponse>> for ValidationResponse {
            type Value = ::planus::Offset<ValidationResponse>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<ValidationResponse>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for ValidationResponseRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[ValidationResponseRef]", "read_as_root", 0)
                })
            }
        }

        /// The table `BlockHeader` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `BlockHeader` in the file `schema/blockheader.fbs:6`
        #[derive(
            Clone,
            Debug,
            PartialEq,
            PartialOrd,
            Eq,
            Ord,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        pub struct BlockHeader {
            /// The field `req_id` in the table `BlockHeader`
            pub req_id: u32,
            /// The field `version` in the table `BlockHeader`
            pub version: u32,
            /// The field `prev_block_hash` in the table `BlockHeader`
            pub prev_block_hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `merkle_root` in the table `BlockHeader`
            pub merkle_root: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `timestamp` in the table `BlockHeader`
            pub timestamp: u32,
            /// The field `bits` in the table `BlockHeader`
            pub bits: u32,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for BlockHeader {
            fn default() -> Self {
                Self {
                    req_id: 0,
                    version: 0,
                    prev_block_hash: ::core::default::Default::default(),
                    merkle_root: ::core::default::Default::default(),
                    timestamp: 0,
                    bits: 0,
                }
            }
        }

        impl BlockHeader {
            /// Creates a [BlockHeaderBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> BlockHeaderBuilder<()> {
                BlockHeaderBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_req_id: impl ::planus::WriteAsDefault<u32, u32>,
                field_version: impl ::planus::WriteAsDefault<u32, u32>,
                field_prev_block_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_merkle_root: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_timestamp: impl ::planus::WriteAsDefault<u32, u32>,
                field_bits: impl ::planus::WriteAsDefault<u32, u32>,
            ) -> ::planus::Offset<Self> {
                let prepared_req_id = field_req_id.prepare(builder, &0);
                let prepared_version = field_version.prepare(builder, &0);
                let prepared_prev_block_hash = field_prev_block_hash.prepare(builder);
                let prepared_merkle_root = field_merkle_root.prepare(builder);
                let prepared_timestamp = field_timestamp.prepare(builder, &0);
                let prepared_bits = field_bits.prepare(builder, &0);

                let mut table_writer: ::planus::table_writer::TableWriter<16> =
                    ::core::default::Default::default();
                if prepared_req_id.is_some() {
                    table_writer.write_entry::<u32>(0);
                }
                if prepared_version.is_some() {
                    table_writer.write_entry::<u32>(1);
                }
                if prepared_prev_block_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(2);
                }
                if prepared_merkle_root.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(3);
                }
                if prepared_timestamp.is_some() {
                    table_writer.write_entry::<u32>(4);
                }
                if prepared_bits.is_some() {
                    table_writer.write_entry::<u32>(5);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_req_id) = prepared_req_id {
                            object_writer.write::<_, _, 4>(&prepared_req_id);
                        }
                        if let ::core::option::Option::Some(prepared_version) = prepared_version {
                            object_writer.write::<_, _, 4>(&prepared_version);
                        }
                        if let ::core::option::Option::Some(prepared_prev_block_hash) =
                            prepared_prev_block_hash
                        {
                            object_writer.write::<_, _, 4>(&prepared_prev_block_hash);
                        }
                        if let ::core::option::Option::Some(prepared_merkle_root) =
                            prepared_merkle_root
                        {
                            object_writer.write::<_, _, 4>(&prepared_merkle_root);
                        }
                        if let ::core::option::Option::Some(prepared_timestamp) = prepared_timestamp
                        {
                            object_writer.write::<_, _, 4>(&prepared_timestamp);
                        }
                        if let ::core::option::Option::Some(prepared_bits) = prepared_bits {
                            object_writer.write::<_, _, 4>(&prepared_bits);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<BlockHeader>> for BlockHeader {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<BlockHeader> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<BlockHeader>> for BlockHeader {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<BlockHeader>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<BlockHeader> for BlockHeader {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<BlockHeader> {
                BlockHeader::create(
                    builder,
                    self.req_id,
                    self.version,
                    &self.prev_block_hash,
                    &self.merkle_root,
                    self.timestamp,
                    self.bits,
                )
            }
        }

        /// Builder for serializing an instance of the [BlockHeader] type.
        ///
        /// Can be created using the [BlockHeader::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct BlockHeaderBuilder<State>(State);

        impl BlockHeaderBuilder<()> {
            /// Setter for the [`req_id` field](BlockHeader#structfield.req_id).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn req_id<T0>(self, value: T0) -> BlockHeaderBuilder<(T0,)>
            where
                T0: ::planus::WriteAsDefault<u32, u32>,
            {
                BlockHeaderBuilder((value,))
            }

            /// Sets the [`req_id` field](BlockHeader#structfield.req_id) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn req_id_as_default(self) -> BlockHeaderBuilder<(::planus::DefaultValue,)> {
                self.req_id(::planus::DefaultValue)
            }
        }

        impl<T0> BlockHeaderBuilder<(T0,)> {
            /// Setter for the [`version` field](BlockHeader#structfield.version).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn version<T1>(self, value: T1) -> BlockHeaderBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0,) = self.0;
                BlockHeaderBuilder((v0, value))
            }

            /// Sets the [`version` field](BlockHeader#structfield.version) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn version_as_default(self) -> BlockHeaderBuilder<(T0, ::planus::DefaultValue)> {
                self.version(::planus::DefaultValue)
            }
        }

        impl<T0, T1> BlockHeaderBuilder<(T0, T1)> {
            /// Setter for the [`prev_block_hash` field](BlockHeader#structfield.prev_block_hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn prev_block_hash<T2>(self, value: T2) -> BlockHeaderBuilder<(T0, T1, T2)>
            where
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1) = self.0;
                BlockHeaderBuilder((v0, v1, value))
            }

            /// Sets the [`prev_block_hash` field](BlockHeader#structfield.prev_block_hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn prev_block_hash_as_null(self) -> BlockHeaderBuilder<(T0, T1, ())> {
                self.prev_block_hash(())
            }
        }

        impl<T0, T1, T2> BlockHeaderBuilder<(T0, T1, T2)> {
            /// Setter for the [`merkle_root` field](BlockHeader#structfield.merkle_root).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn merkle_root<T3>(self, value: T3) -> BlockHeaderBuilder<(T0, T1, T2, T3)>
            where
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2) = self.0;
                BlockHeaderBuilder((v0, v1, v2, value))
            }

            /// Sets the [`merkle_root` field](BlockHeader#structfield.merkle_root) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn merkle_root_as_null(self) -> BlockHeaderBuilder<(T0, T1, T2, ())> {
                self.merkle_root(())
            }
        }

        impl<T0, T1, T2, T3> BlockHeaderBuilder<(T0, T1, T2, T3)> {
            /// Setter for the [`timestamp` field](BlockHeader#structfield.timestamp).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn timestamp<T4>(self, value: T4) -> BlockHeaderBuilder<(T0, T1, T2, T3, T4)>
            where
                T4: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3) = self.0;
                BlockHeaderBuilder((v0, v1, v2, v3, value))
            }

            /// Sets the [`timestamp` field](BlockHeader#structfield.timestamp) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn timestamp_as_default(
                self,
            ) -> BlockHeaderBuilder<(T0, T1, T2, T3, ::planus::DefaultValue)> {
                self.timestamp(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4> BlockHeaderBuilder<(T0, T1, T2, T3, T4)> {
            /// Setter for the [`bits` field](BlockHeader#structfield.bits).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn bits<T5>(self, value: T5) -> BlockHeaderBuilder<(T0, T1, T2, T3, T4, T5)>
            where
                T5: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3, v4) = self.0;
                BlockHeaderBuilder((v0, v1, v2, v3, v4, value))
            }

            /// Sets the [`bits` field](BlockHeader#structfield.bits) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn bits_as_default(
                self,
            ) -> BlockHeaderBuilder<(T0, T1, T2, T3, T4, ::planus::DefaultValue)> {
                self.bits(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4, T5> BlockHeaderBuilder<(T0, T1, T2, T3, T4, T5)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [BlockHeader].
            #[inline]
            pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<BlockHeader>
            where
                Self: ::planus::WriteAsOffset<BlockHeader>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsDefault<u32, u32>,
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsDefault<u32, u32>,
            > ::planus::WriteAs<::planus::Offset<BlockHeader>>
            for BlockHeaderBuilder<(T0, T1, T2, T3, T4, T5)>
        {
            type Prepared = ::planus::Offset<BlockHeader>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<BlockHeader> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsDefault<u32, u32>,
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsDefault<u32, u32>,
            > ::planus::WriteAsOptional<::planus::Offset<BlockHeader>>
            for BlockHeaderBuilder<(T0, T1, T2, T3, T4, T5)>
        {
            type Prepared = ::planus::Offset<BlockHeader>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<BlockHeader>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsDefault<u32, u32>,
                T2: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsDefault<u32, u32>,
            > ::planus::WriteAsOffset<BlockHeader>
            for BlockHeaderBuilder<(T0, T1, T2, T3, T4, T5)>
        {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<BlockHeader> {
                let (v0, v1, v2, v3, v4, v5) = &self.0;
                BlockHeader::create(builder, v0, v1, v2, v3, v4, v5)
            }
        }

        /// Reference to a deserialized [BlockHeader].
        #[derive(Copy, Clone)]
        pub struct BlockHeaderRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> BlockHeaderRef<'a> {
            /// Getter for the [`req_id` field](BlockHeader#structfield.req_id).
            #[inline]
            pub fn req_id(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(self.0.access(0, "BlockHeader", "req_id")?.unwrap_or(0))
            }

            /// Getter for the [`version` field](BlockHeader#structfield.version).
            #[inline]
            pub fn version(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(self.0.access(1, "BlockHeader", "version")?.unwrap_or(0))
            }

            /// Getter for the [`prev_block_hash` field](BlockHeader#structfield.prev_block_hash).
            #[inline]
            pub fn prev_block_hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(2, "BlockHeader", "prev_block_hash")
            }

            /// Getter for the [`merkle_root` field](BlockHeader#structfield.merkle_root).
            #[inline]
            pub fn merkle_root(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(3, "BlockHeader", "merkle_root")
            }

            /// Getter for the [`timestamp` field](BlockHeader#structfield.timestamp).
            #[inline]
            pub fn timestamp(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0.access(4, "BlockHeader", "timestamp")?.unwrap_or(0),
                )
            }

            /// Getter for the [`bits` field](BlockHeader#structfield.bits).
            #[inline]
            pub fn bits(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(self.0.access(5, "BlockHeader", "bits")?.unwrap_or(0))
            }
        }

        impl<'a> ::core::fmt::Debug for BlockHeaderRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("BlockHeaderRef");
                f.field("req_id", &self.req_id());
                f.field("version", &self.version());
                if let ::core::option::Option::Some(field_prev_block_hash) =
                    self.prev_block_hash().transpose()
                {
                    f.field("prev_block_hash", &field_prev_block_hash);
                }
                if let ::core::option::Option::Some(field_merkle_root) =
                    self.merkle_root().transpose()
                {
                    f.field("merkle_root", &field_merkle_root);
                }
                f.field("timestamp", &self.timestamp());
                f.field("bits", &self.bits());
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<BlockHeaderRef<'a>> for BlockHeader {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: BlockHeaderRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    req_id: ::core::convert::TryInto::try_into(value.req_id()?)?,
                    version: ::core::convert::TryInto::try_into(value.version()?)?,
                    prev_block_hash: value.prev_block_hash()?.map(|v| v.to_vec()),
                    merkle_root: value.merkle_root()?.map(|v| v.to_vec()),
                    timestamp: ::core::convert::TryInto::try_into(value.timestamp()?)?,
                    bits: ::core::convert::TryInto::try_into(value.bits()?)?,
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for BlockHeaderRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for BlockHeaderRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[BlockHeaderRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<BlockHeader>> for BlockHeader {
            type Value = ::planus::Offset<BlockHeader>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<BlockHeader>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for BlockHeaderRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[BlockHeaderRef]", "read_as_root", 0)
                })
            }
        }

        /// The table `MiningResponse` in the namespace `proof`
        ///
        /// Generated from these locations:
        /// * Table `MiningResponse` in the file `schema/blockheader.fbs:15`
        #[derive(Clone, Debug, PartialEq, PartialOrd, ::serde::Serialize, ::serde::Deserialize)]
        pub struct MiningResponse {
            /// The field `req_id` in the table `MiningResponse`
            pub req_id: u32,
            /// The field `nonce` in the table `MiningResponse`
            pub nonce: u32,
            /// The field `adjusted_bits` in the table `MiningResponse`
            pub adjusted_bits: u32,
            /// The field `pow_blob_hash` in the table `MiningResponse`
            pub pow_blob_hash: ::core::option::Option<::planus::alloc::vec::Vec<u8>>,
            /// The field `difficulty` in the table `MiningResponse`
            pub difficulty: u32,
            /// The field `pow_blob` in the table `MiningResponse`
            pub pow_blob: ::core::option::Option<::planus::alloc::boxed::Box<self::Proof>>,
            /// The field `completion_id` in the table `MiningResponse`
            pub completion_id: ::core::option::Option<::planus::alloc::string::String>,
        }

        #[allow(clippy::derivable_impls)]
        impl ::core::default::Default for MiningResponse {
            fn default() -> Self {
                Self {
                    req_id: 0,
                    nonce: 0,
                    adjusted_bits: 0,
                    pow_blob_hash: ::core::default::Default::default(),
                    difficulty: 0,
                    pow_blob: ::core::default::Default::default(),
                    completion_id: ::core::default::Default::default(),
                }
            }
        }

        impl MiningResponse {
            /// Creates a [MiningResponseBuilder] for serializing an instance of this table.
            #[inline]
            pub fn builder() -> MiningResponseBuilder<()> {
                MiningResponseBuilder(())
            }

            #[allow(clippy::too_many_arguments)]
            pub fn create(
                builder: &mut ::planus::Builder,
                field_req_id: impl ::planus::WriteAsDefault<u32, u32>,
                field_nonce: impl ::planus::WriteAsDefault<u32, u32>,
                field_adjusted_bits: impl ::planus::WriteAsDefault<u32, u32>,
                field_pow_blob_hash: impl ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                field_difficulty: impl ::planus::WriteAsDefault<u32, u32>,
                field_pow_blob: impl ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                field_completion_id: impl ::planus::WriteAsOptional<
                    ::planus::Offset<::core::primitive::str>,
                >,
            ) -> ::planus::Offset<Self> {
                let prepared_req_id = field_req_id.prepare(builder, &0);
                let prepared_nonce = field_nonce.prepare(builder, &0);
                let prepared_adjusted_bits = field_adjusted_bits.prepare(builder, &0);
                let prepared_pow_blob_hash = field_pow_blob_hash.prepare(builder);
                let prepared_difficulty = field_difficulty.prepare(builder, &0);
                let prepared_pow_blob = field_pow_blob.prepare(builder);
                let prepared_completion_id = field_completion_id.prepare(builder);

                let mut table_writer: ::planus::table_writer::TableWriter<18> =
                    ::core::default::Default::default();
                if prepared_req_id.is_some() {
                    table_writer.write_entry::<u32>(0);
                }
                if prepared_nonce.is_some() {
                    table_writer.write_entry::<u32>(1);
                }
                if prepared_adjusted_bits.is_some() {
                    table_writer.write_entry::<u32>(2);
                }
                if prepared_pow_blob_hash.is_some() {
                    table_writer.write_entry::<::planus::Offset<[u8]>>(3);
                }
                if prepared_difficulty.is_some() {
                    table_writer.write_entry::<u32>(4);
                }
                if prepared_pow_blob.is_some() {
                    table_writer.write_entry::<::planus::Offset<self::Proof>>(5);
                }
                if prepared_completion_id.is_some() {
                    table_writer.write_entry::<::planus::Offset<str>>(6);
                }

                unsafe {
                    table_writer.finish(builder, |object_writer| {
                        if let ::core::option::Option::Some(prepared_req_id) = prepared_req_id {
                            object_writer.write::<_, _, 4>(&prepared_req_id);
                        }
                        if let ::core::option::Option::Some(prepared_nonce) = prepared_nonce {
                            object_writer.write::<_, _, 4>(&prepared_nonce);
                        }
                        if let ::core::option::Option::Some(prepared_adjusted_bits) =
                            prepared_adjusted_bits
                        {
                            object_writer.write::<_, _, 4>(&prepared_adjusted_bits);
                        }
                        if let ::core::option::Option::Some(prepared_pow_blob_hash) =
                            prepared_pow_blob_hash
                        {
                            object_writer.write::<_, _, 4>(&prepared_pow_blob_hash);
                        }
                        if let ::core::option::Option::Some(prepared_difficulty) =
                            prepared_difficulty
                        {
                            object_writer.write::<_, _, 4>(&prepared_difficulty);
                        }
                        if let ::core::option::Option::Some(prepared_pow_blob) = prepared_pow_blob {
                            object_writer.write::<_, _, 4>(&prepared_pow_blob);
                        }
                        if let ::core::option::Option::Some(prepared_completion_id) =
                            prepared_completion_id
                        {
                            object_writer.write::<_, _, 4>(&prepared_completion_id);
                        }
                    });
                }
                builder.current_offset()
            }
        }

        impl ::planus::WriteAs<::planus::Offset<MiningResponse>> for MiningResponse {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<MiningResponse> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl ::planus::WriteAsOptional<::planus::Offset<MiningResponse>> for MiningResponse {
            type Prepared = ::planus::Offset<Self>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<MiningResponse>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl ::planus::WriteAsOffset<MiningResponse> for MiningResponse {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<MiningResponse> {
                MiningResponse::create(
                    builder,
                    self.req_id,
                    self.nonce,
                    self.adjusted_bits,
                    &self.pow_blob_hash,
                    self.difficulty,
                    &self.pow_blob,
                    &self.completion_id,
                )
            }
        }

        /// Builder for serializing an instance of the [MiningResponse] type.
        ///
        /// Can be created using the [MiningResponse::builder] method.
        #[derive(Debug)]
        #[must_use]
        pub struct MiningResponseBuilder<State>(State);

        impl MiningResponseBuilder<()> {
            /// Setter for the [`req_id` field](MiningResponse#structfield.req_id).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn req_id<T0>(self, value: T0) -> MiningResponseBuilder<(T0,)>
            where
                T0: ::planus::WriteAsDefault<u32, u32>,
            {
                MiningResponseBuilder((value,))
            }

            /// Sets the [`req_id` field](MiningResponse#structfield.req_id) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn req_id_as_default(self) -> MiningResponseBuilder<(::planus::DefaultValue,)> {
                self.req_id(::planus::DefaultValue)
            }
        }

        impl<T0> MiningResponseBuilder<(T0,)> {
            /// Setter for the [`nonce` field](MiningResponse#structfield.nonce).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn nonce<T1>(self, value: T1) -> MiningResponseBuilder<(T0, T1)>
            where
                T1: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0,) = self.0;
                MiningResponseBuilder((v0, value))
            }

            /// Sets the [`nonce` field](MiningResponse#structfield.nonce) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn nonce_as_default(self) -> MiningResponseBuilder<(T0, ::planus::DefaultValue)> {
                self.nonce(::planus::DefaultValue)
            }
        }

        impl<T0, T1> MiningResponseBuilder<(T0, T1)> {
            /// Setter for the [`adjusted_bits` field](MiningResponse#structfield.adjusted_bits).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn adjusted_bits<T2>(self, value: T2) -> MiningResponseBuilder<(T0, T1, T2)>
            where
                T2: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1) = self.0;
                MiningResponseBuilder((v0, v1, value))
            }

            /// Sets the [`adjusted_bits` field](MiningResponse#structfield.adjusted_bits) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn adjusted_bits_as_default(
                self,
            ) -> MiningResponseBuilder<(T0, T1, ::planus::DefaultValue)> {
                self.adjusted_bits(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2> MiningResponseBuilder<(T0, T1, T2)> {
            /// Setter for the [`pow_blob_hash` field](MiningResponse#structfield.pow_blob_hash).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob_hash<T3>(self, value: T3) -> MiningResponseBuilder<(T0, T1, T2, T3)>
            where
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
            {
                let (v0, v1, v2) = self.0;
                MiningResponseBuilder((v0, v1, v2, value))
            }

            /// Sets the [`pow_blob_hash` field](MiningResponse#structfield.pow_blob_hash) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob_hash_as_null(self) -> MiningResponseBuilder<(T0, T1, T2, ())> {
                self.pow_blob_hash(())
            }
        }

        impl<T0, T1, T2, T3> MiningResponseBuilder<(T0, T1, T2, T3)> {
            /// Setter for the [`difficulty` field](MiningResponse#structfield.difficulty).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn difficulty<T4>(self, value: T4) -> MiningResponseBuilder<(T0, T1, T2, T3, T4)>
            where
                T4: ::planus::WriteAsDefault<u32, u32>,
            {
                let (v0, v1, v2, v3) = self.0;
                MiningResponseBuilder((v0, v1, v2, v3, value))
            }

            /// Sets the [`difficulty` field](MiningResponse#structfield.difficulty) to the default value.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn difficulty_as_default(
                self,
            ) -> MiningResponseBuilder<(T0, T1, T2, T3, ::planus::DefaultValue)> {
                self.difficulty(::planus::DefaultValue)
            }
        }

        impl<T0, T1, T2, T3, T4> MiningResponseBuilder<(T0, T1, T2, T3, T4)> {
            /// Setter for the [`pow_blob` field](MiningResponse#structfield.pow_blob).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob<T5>(self, value: T5) -> MiningResponseBuilder<(T0, T1, T2, T3, T4, T5)>
            where
                T5: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
            {
                let (v0, v1, v2, v3, v4) = self.0;
                MiningResponseBuilder((v0, v1, v2, v3, v4, value))
            }

            /// Sets the [`pow_blob` field](MiningResponse#structfield.pow_blob) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn pow_blob_as_null(self) -> MiningResponseBuilder<(T0, T1, T2, T3, T4, ())> {
                self.pow_blob(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5> MiningResponseBuilder<(T0, T1, T2, T3, T4, T5)> {
            /// Setter for the [`completion_id` field](MiningResponse#structfield.completion_id).
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn completion_id<T6>(
                self,
                value: T6,
            ) -> MiningResponseBuilder<(T0, T1, T2, T3, T4, T5, T6)>
            where
                T6: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            {
                let (v0, v1, v2, v3, v4, v5) = self.0;
                MiningResponseBuilder((v0, v1, v2, v3, v4, v5, value))
            }

            /// Sets the [`completion_id` field](MiningResponse#structfield.completion_id) to null.
            #[inline]
            #[allow(clippy::type_complexity)]
            pub fn completion_id_as_null(
                self,
            ) -> MiningResponseBuilder<(T0, T1, T2, T3, T4, T5, ())> {
                self.completion_id(())
            }
        }

        impl<T0, T1, T2, T3, T4, T5, T6> MiningResponseBuilder<(T0, T1, T2, T3, T4, T5, T6)> {
            /// Finish writing the builder to get an [Offset](::planus::Offset) to a serialized [MiningResponse].
            #[inline]
            pub fn finish(self, builder: &mut ::planus::Builder) -> ::planus::Offset<MiningResponse>
            where
                Self: ::planus::WriteAsOffset<MiningResponse>,
            {
                ::planus::WriteAsOffset::prepare(&self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsDefault<u32, u32>,
                T2: ::planus::WriteAsDefault<u32, u32>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            > ::planus::WriteAs<::planus::Offset<MiningResponse>>
            for MiningResponseBuilder<(T0, T1, T2, T3, T4, T5, T6)>
        {
            type Prepared = ::planus::Offset<MiningResponse>;

            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<MiningResponse> {
                ::planus::WriteAsOffset::prepare(self, builder)
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsDefault<u32, u32>,
                T2: ::planus::WriteAsDefault<u32, u32>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            > ::planus::WriteAsOptional<::planus::Offset<MiningResponse>>
            for MiningResponseBuilder<(T0, T1, T2, T3, T4, T5, T6)>
        {
            type Prepared = ::planus::Offset<MiningResponse>;

            #[inline]
            fn prepare(
                &self,
                builder: &mut ::planus::Builder,
            ) -> ::core::option::Option<::planus::Offset<MiningResponse>> {
                ::core::option::Option::Some(::planus::WriteAsOffset::prepare(self, builder))
            }
        }

        impl<
                T0: ::planus::WriteAsDefault<u32, u32>,
                T1: ::planus::WriteAsDefault<u32, u32>,
                T2: ::planus::WriteAsDefault<u32, u32>,
                T3: ::planus::WriteAsOptional<::planus::Offset<[u8]>>,
                T4: ::planus::WriteAsDefault<u32, u32>,
                T5: ::planus::WriteAsOptional<::planus::Offset<self::Proof>>,
                T6: ::planus::WriteAsOptional<::planus::Offset<::core::primitive::str>>,
            > ::planus::WriteAsOffset<MiningResponse>
            for MiningResponseBuilder<(T0, T1, T2, T3, T4, T5, T6)>
        {
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> ::planus::Offset<MiningResponse> {
                let (v0, v1, v2, v3, v4, v5, v6) = &self.0;
                MiningResponse::create(builder, v0, v1, v2, v3, v4, v5, v6)
            }
        }

        /// Reference to a deserialized [MiningResponse].
        #[derive(Copy, Clone)]
        pub struct MiningResponseRef<'a>(#[allow(dead_code)] ::planus::table_reader::Table<'a>);

        impl<'a> MiningResponseRef<'a> {
            /// Getter for the [`req_id` field](MiningResponse#structfield.req_id).
            #[inline]
            pub fn req_id(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0.access(0, "MiningResponse", "req_id")?.unwrap_or(0),
                )
            }

            /// Getter for the [`nonce` field](MiningResponse#structfield.nonce).
            #[inline]
            pub fn nonce(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0.access(1, "MiningResponse", "nonce")?.unwrap_or(0),
                )
            }

            /// Getter for the [`adjusted_bits` field](MiningResponse#structfield.adjusted_bits).
            #[inline]
            pub fn adjusted_bits(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0
                        .access(2, "MiningResponse", "adjusted_bits")?
                        .unwrap_or(0),
                )
            }

            /// Getter for the [`pow_blob_hash` field](MiningResponse#structfield.pow_blob_hash).
            #[inline]
            pub fn pow_blob_hash(&self) -> ::planus::Result<::core::option::Option<&'a [u8]>> {
                self.0.access(3, "MiningResponse", "pow_blob_hash")
            }

            /// Getter for the [`difficulty` field](MiningResponse#structfield.difficulty).
            #[inline]
            pub fn difficulty(&self) -> ::planus::Result<u32> {
                ::core::result::Result::Ok(
                    self.0
                        .access(4, "MiningResponse", "difficulty")?
                        .unwrap_or(0),
                )
            }

            /// Getter for the [`pow_blob` field](MiningResponse#structfield.pow_blob).
            #[inline]
            pub fn pow_blob(&self) -> ::planus::Result<::core::option::Option<self::ProofRef<'a>>> {
                self.0.access(5, "MiningResponse", "pow_blob")
            }

            /// Getter for the [`completion_id` field](MiningResponse#structfield.completion_id).
            #[inline]
            pub fn completion_id(
                &self,
            ) -> ::planus::Result<::core::option::Option<&'a ::core::primitive::str>> {
                self.0.access(6, "MiningResponse", "completion_id")
            }
        }

        impl<'a> ::core::fmt::Debug for MiningResponseRef<'a> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut f = f.debug_struct("MiningResponseRef");
                f.field("req_id", &self.req_id());
                f.field("nonce", &self.nonce());
                f.field("adjusted_bits", &self.adjusted_bits());
                if let ::core::option::Option::Some(field_pow_blob_hash) =
                    self.pow_blob_hash().transpose()
                {
                    f.field("pow_blob_hash", &field_pow_blob_hash);
                }
                f.field("difficulty", &self.difficulty());
                if let ::core::option::Option::Some(field_pow_blob) = self.pow_blob().transpose() {
                    f.field("pow_blob", &field_pow_blob);
                }
                if let ::core::option::Option::Some(field_completion_id) =
                    self.completion_id().transpose()
                {
                    f.field("completion_id", &field_completion_id);
                }
                f.finish()
            }
        }

        impl<'a> ::core::convert::TryFrom<MiningResponseRef<'a>> for MiningResponse {
            type Error = ::planus::Error;

            #[allow(unreachable_code)]
            fn try_from(value: MiningResponseRef<'a>) -> ::planus::Result<Self> {
                ::core::result::Result::Ok(Self {
                    req_id: ::core::convert::TryInto::try_into(value.req_id()?)?,
                    nonce: ::core::convert::TryInto::try_into(value.nonce()?)?,
                    adjusted_bits: ::core::convert::TryInto::try_into(value.adjusted_bits()?)?,
                    pow_blob_hash: value.pow_blob_hash()?.map(|v| v.to_vec()),
                    difficulty: ::core::convert::TryInto::try_into(value.difficulty()?)?,
                    pow_blob: if let ::core::option::Option::Some(pow_blob) = value.pow_blob()? {
                        ::core::option::Option::Some(::planus::alloc::boxed::Box::new(
                            ::core::convert::TryInto::try_into(pow_blob)?,
                        ))
                    } else {
                        ::core::option::Option::None
                    },
                    completion_id: value.completion_id()?.map(::core::convert::Into::into),
                })
            }
        }

        impl<'a> ::planus::TableRead<'a> for MiningResponseRef<'a> {
            #[inline]
            fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::core::result::Result<Self, ::planus::errors::ErrorKind> {
                ::core::result::Result::Ok(Self(::planus::table_reader::Table::from_buffer(
                    buffer, offset,
                )?))
            }
        }

        impl<'a> ::planus::VectorReadInner<'a> for MiningResponseRef<'a> {
            type Error = ::planus::Error;
            const STRIDE: usize = 4;

            unsafe fn from_buffer(
                buffer: ::planus::SliceWithStartOffset<'a>,
                offset: usize,
            ) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(buffer, offset).map_err(|error_kind| {
                    error_kind.with_error_location(
                        "[MiningResponseRef]",
                        "get",
                        buffer.offset_from_start,
                    )
                })
            }
        }

        /// # Safety
        /// The planus compiler generates implementations that initialize
        /// the bytes in `write_values`.
        unsafe impl ::planus::VectorWrite<::planus::Offset<MiningResponse>> for MiningResponse {
            type Value = ::planus::Offset<MiningResponse>;
            const STRIDE: usize = 4;
            #[inline]
            fn prepare(&self, builder: &mut ::planus::Builder) -> Self::Value {
                ::planus::WriteAs::prepare(self, builder)
            }

            #[inline]
            unsafe fn write_values(
                values: &[::planus::Offset<MiningResponse>],
                bytes: *mut ::core::mem::MaybeUninit<u8>,
                buffer_position: u32,
            ) {
                let bytes = bytes as *mut [::core::mem::MaybeUninit<u8>; 4];
                for (i, v) in ::core::iter::Iterator::enumerate(values.iter()) {
                    ::planus::WriteAsPrimitive::write(
                        v,
                        ::planus::Cursor::new(unsafe { &mut *bytes.add(i) }),
                        buffer_position - (Self::STRIDE * i) as u32,
                    );
                }
            }
        }

        impl<'a> ::planus::ReadAsRoot<'a> for MiningResponseRef<'a> {
            fn read_as_root(slice: &'a [u8]) -> ::planus::Result<Self> {
                ::planus::TableRead::from_buffer(
                    ::planus::SliceWithStartOffset {
                        buffer: slice,
                        offset_from_start: 0,
                    },
                    0,
                )
                .map_err(|error_kind| {
                    error_kind.with_error_location("[MiningResponseRef]", "read_as_root", 0)
                })
            }
        }
    }
}
