# Caravan image for docker-compose.yml. Build the jar first: ./mvnw package -DskipTests
FROM eclipse-temurin:17-jre
WORKDIR /caravan
COPY runtime/target/caravan.jar /opt/caravan/caravan.jar
COPY runtime/target/lib /opt/caravan/lib
ENTRYPOINT ["java", "-Dcaravan.home=/caravan", "-jar", "/opt/caravan/caravan.jar"]
CMD ["run"]
