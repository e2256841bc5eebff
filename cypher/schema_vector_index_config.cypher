// The vector indexes as configured: an index of a space's name that indexes another
// property, another dimension, or quantized vectors is re-made by graph.spaces.
SHOW VECTOR INDEXES YIELD name, properties, options
RETURN name, properties, options.indexConfig.`vector.dimensions` AS dimension,
       coalesce(options.indexConfig.`vector.quantization.enabled`, false) AS quantized
